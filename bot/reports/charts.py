"""The reports' charts, drawn by matplotlib (its Agg backend: no screen needed): the overdue rate
at each month's end, stage times per service area, and a calendar of due dates for the year
ahead. Each is returned as SVG text to put inline in a page, or as PNG bytes for Slack."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from workflow.figures import STAGES, MonthEnd, Stat

MISSING = "charts need matplotlib: pip install 'signoff[reports]'"


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed; `str(exc)` says how to install it."""


STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: searchable in the page and the PDF
}


def _matplotlib() -> Any:
    """matplotlib, set up once. Figures are made without pyplot, which keeps global state:
    a server draws charts on several threads at once."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise ChartsUnavailable(MISSING) from None
    if not getattr(matplotlib, "_signoff_style", False):
        matplotlib.rcParams.update(STYLE)
        matplotlib._signoff_style = True  # type: ignore[attr-defined]
    return matplotlib


def _figure(width: float, height: float) -> Any:
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def available() -> bool:
    """Whether charts can be drawn, without loading matplotlib to find out."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def overdue_trend(trend: Sequence[MonthEnd], *, title: str | None = None) -> Any:
    fig = _figure(8, 3.2)
    ax = fig.subplots()
    labels = [m.day.strftime("%b %y") for m in trend]
    rates = [100 * m.rate for m in trend]
    ax.plot(labels, rates, marker="o", color="#b03a2e", linewidth=2)
    ax.fill_between(labels, rates, color="#b03a2e", alpha=0.08)
    for x, (rate, point) in enumerate(zip(rates, trend, strict=True)):
        ax.annotate(
            f"{rate:.1f}%\n({point.overdue})",
            (x, rate),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
        )
    ax.set_ylabel("overdue, % of the register")
    ax.set_ylim(0, max([*rates, 5]) * 1.35)
    ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:.0f}%")
    ax.set_title(title or "Overdue at each month's end", loc="left", fontweight="bold")
    ax.grid(axis="y", alpha=0.3)
    return fig


def stage_times(by_area: dict[str, dict[str, Stat]]) -> Any:
    matplotlib = _matplotlib()
    areas = list(by_area)
    fig = _figure(8, max(2.8, 0.6 + 0.65 * max(1, len(areas))))
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10"].colors
    bar = 0.8 / len(STAGES)
    for n, (key, label) in enumerate(STAGES):
        values = [(by_area[a].get(key) or Stat(0, None, None)).median or 0 for a in areas]
        positions = [i + (n - (len(STAGES) - 1) / 2) * bar for i in range(len(areas))]
        ax.barh(positions, values, height=bar, label=label, color=colours[n % len(colours)])
    ax.set_yticks(range(len(areas)), areas)
    ax.invert_yaxis()
    ax.set_xlabel("median days")
    ax.set_title("Time in each stage, by service area", loc="left", fontweight="bold")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    if not areas:
        ax.text(0.5, 0.5, "No stage ended in this period", ha="center", transform=ax.transAxes)
    return fig


def due_calendar(due: Counter[date], start: date, days: int = 365) -> Any:
    """A heat map of the due dates from the day after `start`: a column per week, a row per
    weekday, as a wall planner shows them."""
    matplotlib = _matplotlib()
    import numpy

    first = start + timedelta(days=1)
    origin = first - timedelta(days=first.weekday())  # the Monday of the first week
    weeks = (first + timedelta(days=days - 1) - origin).days // 7 + 1
    grid = numpy.full((7, weeks), numpy.nan)
    for n in range(days):
        day = first + timedelta(days=n)
        offset = (day - origin).days
        grid[offset % 7, offset // 7] = due.get(day, 0)
    fig = _figure(8, 2.6)
    ax = fig.subplots()
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="#ffffff")
    image = ax.imshow(
        numpy.ma.masked_invalid(grid),
        cmap=cmap,
        aspect="equal",
        vmin=0,
        vmax=max(1, max(due.values(), default=0)),
    )
    ax.set_yticks(range(7), ["Mon", "", "Wed", "", "Fri", "", "Sun"], fontsize=7)
    ticks, labels = [], []
    for n in range(days):
        day = first + timedelta(days=n)
        if day.day == 1 or n == 0:
            ticks.append((day - origin).days // 7)
            labels.append(day.strftime("%b %y"))
    ax.set_xticks(ticks, labels, fontsize=7)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"Reviews falling due, {first:%-d %b %Y} to {first + timedelta(days=days - 1):%-d %b %Y}",
        loc="left",
        fontweight="bold",
    )
    fig.colorbar(image, ax=ax, shrink=0.8, label="due that day")
    return fig


def svg(fig: Any, name: str) -> str:
    """The chart as an <svg> element, its ids salted with `name` so that several can share a
    page and the same chart always gives the same text."""
    matplotlib = _matplotlib()
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg") :]


def png(fig: Any, *, dpi: int = 110) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()
