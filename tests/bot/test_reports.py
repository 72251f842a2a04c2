"""The reports as people open them: the page in headless Chromium (its charts drawn, its tables
there, nothing fetched from anywhere), the PDF read back with a PDF library, the workbook with
openpyxl, and the commands that write them, over the year of history in tests/history.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot import reports
from tests.history import LONDON, Year
from workflow import figures as F

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium); .ci/run installs it",
)
TABLES = (
    "headline",
    "overdue-by-month",
    "stage-times",
    "stage-times-by-area",
    "decisions",
    "by-service-area",
    "by-doc-type",
    "by-owner",
    "by-approver",
    "rounds",
    "no-owner",
    "overdue-documents",
    "due-ahead",
)
CHARTS = ("overdue-trend", "stage-times", "due-calendar")


@pytest.fixture(scope="module")
def annual(year: Year, tmp_path_factory: pytest.TempPathFactory) -> tuple[F.Figures, list[Path]]:
    with year.runtime.sessions() as session:
        report = reports.annual(session, F.financial_year("2026/27"), LONDON)
    folder = tmp_path_factory.mktemp("annual")
    return report.figures, reports.write(report, folder, pdf=CHROMIUM.exists())


class DevTools:
    """Headless Chromium driven over its DevTools protocol: open a page, measure, screenshot."""

    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,1000",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ports = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (ports.exists() and ports.read_text().strip()):
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.05)
        port = ports.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            page = next(t for t in json.load(reply) if t["type"] == "page")
        from websockets.sync.client import connect

        # Entered by hand: the connection lives as long as this object, not one block.
        self.socket = connect(page["webSocketDebuggerUrl"], max_size=50_000_000).__enter__()
        self.ids = iter(range(1, 10_000))
        self.requests: list[str] = []

    def call(self, method: str, **params: object) -> dict:
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
            if message.get("id") == number:
                assert "error" not in message, message
                return message["result"]

    def open(self, url: str) -> None:
        self.call("Network.enable")
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while self.evaluate("document.readyState") != "complete":
            assert time.monotonic() < deadline
            time.sleep(0.05)

    def evaluate(self, expression: str) -> object:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)[
            "result"
        ].get("value")

    def close(self) -> None:
        self.socket.__exit__(None, None, None)
        self.process.terminate()
        self.process.wait(timeout=10)


@needs_chromium
def test_the_page_in_chromium_draws_its_charts_and_tables(annual, tmp_path: Path):
    _figures, written = annual
    page = written[0]
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(page.as_uri())
        sizes = browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('figure.chart')].map(f => {"
            "const svg = f.querySelector('svg'); const r = svg.getBoundingClientRect();"
            "return [f.id, r.width, r.height, svg.querySelectorAll('path, rect, text').length]}))"
        )
        tables = browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('table')].map(t => "
            "[t.id, t.tBodies[0].rows.length, t.getBoundingClientRect().height]))"
        )
        shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        requested = [url for url in browser.requests if not url.startswith(("file:", "data:"))]
    finally:
        browser.close()
    drawn = {name: (w, h, marks) for name, w, h, marks in json.loads(str(sizes))}
    assert set(drawn) == {f"chart-{name}" for name in CHARTS}
    for name, (width, height, marks) in drawn.items():
        assert width > 300 and height > 100 and marks > 20, name
    shown = {name: (rows, height) for name, rows, height in json.loads(str(tables))}
    for name in TABLES:
        assert shown[name][0] > 0 and shown[name][1] > 0, name
    assert shown["overdue-by-month"][0] == 12
    screenshot = tmp_path / "annual.png"
    import base64

    screenshot.write_bytes(base64.b64decode(shot["data"]))
    assert (
        screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000
    )
    assert requested == [], "the page fetched something from outside itself"


def test_the_page_needs_nothing_from_outside(annual):
    html = annual[1][0].read_text()
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)=["']?(?!https://manual\.example\.org/)https?:""", html)
    assert not re.search(r"url\((?!#)", html)
    assert html.count("<svg") == len(CHARTS)


@needs_chromium
def test_the_pdf_has_the_figures(annual):
    figures, written = annual
    reader = PdfReader(written[2])
    assert 4 <= len(reader.pages) <= 20
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    text = unicodedata.normalize("NFKC", text)  # "fi" and "ff" may come as one glyph
    assert "annual report 2026/27" in text
    assert f"Overdue on 31 March 2027 {figures.overdue}" in text
    assert f"Reviews completed {figures.completed}" in text
    assert f"Documents in the register on 31 March 2027 {figures.documents}" in text
    for _key, label in F.STAGES:
        assert label in text
    assert "How these figures are made" in text


def test_the_workbook_holds_the_tables(annual):
    figures, written = annual
    book = load_workbook(written[1])
    sheet = book["Overdue at each month's end"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(r[0].date(), r[1], r[2]) for r in rows] == [
        (m.day, m.documents, m.overdue) for m in figures.trend
    ]
    assert rows[-1][3] == pytest.approx(figures.rate)
    assert sheet.cell(3, 4).number_format == "0.0%"
    stages = {
        r[0]: r[1:]
        for r in book["Time in each stage (days)"].iter_rows(min_row=3, values_only=True)
    }
    for key, label in F.STAGES:
        s = figures.stages[key]
        assert stages[label] == (s.count, s.median, s.p90)
    assert "How it is made" in book.sheetnames


def signoff(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=180
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def env(year: Year) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNOFF_", "SLACK_")) and k != "DATABASE_URL"
    }
    return {**base, "DATABASE_URL": str(year.runtime.settings.database_url)}


@needs_chromium
def test_the_month_and_meeting_commands_write_their_files(year: Year, env, tmp_path: Path):
    result = signoff(
        env, "--now", "2026-12-02T09:00", "report", "month", "2026-11", "--out", str(tmp_path)
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"signoff-month-2026-11.{x}" for x in ("html", "pdf", "xlsx")]
    assert "November 2026" in result.stdout
    slt_day = (
        max(
            (d.at for r in year.reviews.values() for d in r.decisions if d.body == "slt"),
        )
        .astimezone(LONDON)
        .date()
    )
    out = tmp_path / "meeting"
    signoff(
        env,
        "--now",
        "2027-04-02T09:00",
        "report",
        "meeting",
        "slt",
        slt_day.isoformat(),
        "--out",
        str(out),
        "--no-pdf",  # the month's PDF above shows the printing; this one would only cost time
    )
    html = (out / f"signoff-meeting-slt-{slt_day.isoformat()}.html").read_text()
    assert 'id="meeting-decisions"' in html and "carried-forward" in html
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".xlsx"]


def test_a_month_not_over_is_reported_to_today(env, tmp_path: Path):
    result = signoff(
        env,
        "--now",
        "2026-11-23T09:00",
        "report",
        "month",
        "2026-11",
        "--out",
        str(tmp_path),
        "--no-pdf",
    )
    assert "(to 23 November 2026)" in result.stdout
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".html", ".xlsx"]
    later = signoff(env, "--now", "2026-11-23T09:00", "report", "month", "2026-12", check=False)
    assert later.returncode == 1 and "December 2026 has not begun" in later.stderr


def test_without_chromium_the_pdf_is_refused_in_one_line_naming_the_fix(env, tmp_path: Path):
    bare = {**env, "PATH": str(Path(sys.executable).parent)}
    if any(shutil.which(name, path=bare["PATH"]) for name in ("chromium", "google-chrome")):
        pytest.skip("a browser is on the virtual environment's own PATH")
    result = signoff(
        bare,
        "--now",
        "2027-04-02T09:00",
        "report",
        "annual",
        "--year",
        "2026/27",
        "--out",
        str(tmp_path),
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0] and "--no-pdf" in lines[0]


@pytest.mark.parametrize("form", ["md", "html"])
def test_what_changed_is_ready_to_paste(year: Year, env, form):
    out = signoff(
        env, "--now", "2026-12-01T09:00", "report", "changes", "2026-11", "--format", form
    ).stdout
    with year.runtime.sessions() as session:
        found = F.changes(session, F.month("2026-11"), LONDON)
    assert found.published and found.no_changes
    for change in found.published + found.approved:
        if form == "md":
            assert f"]({change.link})" in out and change.reference in out
        else:
            assert f'<a href="{change.link}">{change.reference} ' in out
    assert out.startswith("## What changed in November 2026" if form == "md" else "<h2>")


def test_bad_periods_are_answered_with_an_example(env):
    result = signoff(env, "report", "annual", "--year", "2026", check=False)
    assert result.returncode == 1 and "2026/27" in result.stderr
    result = signoff(env, "report", "month", "November", check=False)
    assert result.returncode == 1 and "2026-11" in result.stderr


def test_a_chart_unavailable_says_how_to_install_it(monkeypatch):
    import builtins

    real = builtins.__import__

    def without_matplotlib(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_matplotlib)
    from bot.reports import charts

    with pytest.raises(charts.ChartsUnavailable, match=r"pip install 'signoff\[reports\]'"):
        charts.overdue_trend([])
