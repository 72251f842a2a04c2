"""Every figure of the assurance reports, counted again from the test's own log of a year lived
through the real use cases (tests/history.py), never from the database: the log is walked
document by document and moment by moment where the code replays the audit events once."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import numpy
import pytest

from tests.history import END, LONDON, DocLog, ReviewLog, Year, at, local
from workflow import figures as F

PERIODS = ["2026/27", "2026-11", "2026-06", "2027-03"]


def period_of(text: str) -> F.Period:
    return F.financial_year(text) if "/" in text else F.month(text)


def end(day: date) -> datetime:
    return at(day + timedelta(days=1), 0)


def reviews_of(year: Year, ref: str) -> list[ReviewLog]:
    return [r for r in year.reviews.values() if r.ref == ref]


def due_then(year: Year, doc: DocLog, moment: datetime) -> date:
    """The document's due date at `moment`: its open review's, else its next review due."""
    for review in reviews_of(year, doc.ref):
        if review.opened < moment and (review.closed is None or review.closed >= moment):
            return [due for when, due in review.dues if when < moment][-1]
    return DocLog.as_of(doc.next_due, moment)


def in_register(year: Year, moment: datetime) -> list[DocLog]:
    return [doc for doc in year.docs.values() if doc.created < moment]


def overdue_at(year: Year, day: date) -> set[str]:
    moment = end(day)
    return {doc.ref for doc in in_register(year, moment) if due_then(year, doc, moment) < day}


def completed_in(year: Year, period: F.Period) -> list[ReviewLog]:
    return [r for r in year.reviews.values() if r.closed and local(r.closed) in period]


def on_time(review: ReviewLog) -> bool:
    assert review.closed is not None
    return local(review.closed) <= [due for when, due in review.dues if when <= review.closed][-1]


def label(year: Year, doc: DocLog, key: str, moment: datetime) -> str:
    if key == "service_area":
        return DocLog.as_of(doc.area, moment) or F.NO_AREA
    if key == "doc_type":
        return doc.doc_type
    email = DocLog.as_of(doc.owner if key == "owner" else doc.approver, moment)
    return year.names.get(email, email) if email else F.NO_OWNER


def intervals(year: Year) -> dict[str, list[tuple[int, date, str]]]:
    """(days, the day the stage ended, reference) for each stage, from the log."""
    found: dict[str, list[tuple[int, date, str]]] = defaultdict(list)

    def add(stage: str, start: datetime | date, stop: datetime | date, ref: str) -> None:
        first = local(start) if isinstance(start, datetime) else start
        last = local(stop) if isinstance(stop, datetime) else stop
        found[stage].append(((last - first).days, last, ref))

    for r in year.reviews.values():
        if r.started:
            add("reminder_to_start", r.opened, r.started, r.ref)
            if r.submissions:
                add("start_to_submission", r.started, r.submissions[0][0], r.ref)
        for index, (submitted, _kind) in enumerate(r.submissions):
            on_it = [d for d in r.decisions if d.submission == index]
            if on_it:
                add("submission_to_decision", submitted, on_it[0].at, r.ref)
            for n, d in enumerate(on_it):
                if d.kind == "approved_with_conditions" and index + 1 < len(r.submissions):
                    add("conditions_to_redraft", d.at, r.submissions[index + 1][0], r.ref)
                if d.kind == "referred" and n + 1 < len(on_it):
                    add("referral_to_decision", d.at, on_it[n + 1].at, r.ref)
    for doc in year.docs.values():
        approvals = sorted(
            (r for r in reviews_of(year, doc.ref) if r.outcome == "approved"),
            key=lambda r: r.closed,  # type: ignore[arg-type, return-value]
        )
        used: set[int] = set()
        for on, _version in doc.publications:
            before = [r for r in approvals if local(r.closed) <= on and r.id not in used]  # type: ignore[arg-type]
            used.add(before[-1].id)
            add("approval_to_publication", before[-1].closed, on, doc.ref)  # type: ignore[arg-type]
    return found


def stat(days: list[int]) -> tuple[int, float | None, float | None]:
    if not days:
        return 0, None, None
    return len(days), float(numpy.median(days)), float(numpy.percentile(days, 90))


@pytest.fixture(scope="module")
def computed(year: Year) -> dict[str, F.Figures]:
    with year.runtime.sessions() as session:
        return {text: F.figures(session, period_of(text), LONDON) for text in PERIODS}


def test_the_year_is_large_and_varied(year: Year):
    assert len(year.docs) > 300
    kinds = Counter(d.kind for r in year.reviews.values() for d in r.decisions)
    assert set(kinds) == {"approved", "approved_with_conditions", "referred"}
    assert any(r.route == "scheduled_update" for r in year.reviews.values())
    assert any(r.route == "unscheduled_review" for r in year.reviews.values())
    assert year.left and year.rounds


@pytest.mark.parametrize("text", PERIODS)
def test_completed_on_time_late_and_overdue(year: Year, computed, text):
    period, got = period_of(text), computed[text]
    completed = completed_in(year, period)
    assert got.on_time == sum(on_time(r) for r in completed)
    assert got.late == sum(not on_time(r) for r in completed)
    assert got.no_changes == sum(r.outcome == "approved_no_changes" for r in completed)
    assert got.published == sum(
        1 for doc in year.docs.values() for on, _ in doc.publications if on in period
    )
    assert got.documents == len(in_register(year, end(period.last)))
    late = overdue_at(year, period.last)
    assert got.overdue == len(late)
    assert [d.reference for d in got.overdue_documents] == sorted(late)
    assert got.rate == pytest.approx(len(late) / got.documents)


@pytest.mark.parametrize("text", PERIODS)
def test_the_overdue_rate_at_each_months_end(year: Year, computed, text):
    got = computed[text]
    last = period_of(text).last
    days = [last]
    while len(days) < 12:
        days.insert(0, days[0].replace(day=1) - timedelta(days=1))
    assert [m.day for m in got.trend] == days
    for point in got.trend:
        documents = len(in_register(year, end(point.day)))
        late = len(overdue_at(year, point.day))
        assert (point.documents, point.overdue) == (documents, late), point.day
        assert point.rate == pytest.approx(late / documents if documents else 0)


@pytest.mark.parametrize("text", PERIODS)
def test_stage_times(year: Year, computed, text):
    period, got = period_of(text), computed[text]
    found = intervals(year)
    by_area: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    moment = end(period.last)
    for stage, _ in F.STAGES:
        days = [d for d, last, _ref in found[stage] if last in period]
        assert (got.stages[stage].count, got.stages[stage].median) == stat(days)[:2], stage
        assert got.stages[stage].p90 == pytest.approx(stat(days)[2]), stage
        for d, last, ref in found[stage]:
            if last in period:
                by_area[label(year, year.docs[ref], "service_area", moment)][stage].append(d)
    assert set(got.stages_by_area) == set(by_area)
    for area, stages in by_area.items():
        for stage, _ in F.STAGES:
            s = got.stages_by_area[area][stage]
            want = stat(stages.get(stage, []))
            assert (s.count, s.median) == want[:2] and s.p90 == pytest.approx(want[2])
    if text == "2026/27":  # every stage happened in the year
        assert all(got.stages[stage].count for stage, _ in F.STAGES)


@pytest.mark.parametrize("text", PERIODS)
def test_decisions_by_body_and_kind(year: Year, computed, text):
    period = period_of(text)
    want = Counter(
        (d.body, d.kind)
        for r in year.reviews.values()
        for d in r.decisions
        if local(d.at) in period
    )
    assert computed[text].decisions == want
    assert computed[text].decisions_by_kind() == Counter(kind for (_b, kind) in want.elements())


@pytest.mark.parametrize("text", PERIODS)
@pytest.mark.parametrize("key", [key for key, _ in F.GROUPS])
def test_figures_by_area_type_owner_and_approver(year: Year, computed, text, key):
    period = period_of(text)
    moment = end(period.last)
    late = overdue_at(year, period.last)
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for doc in in_register(year, moment):
        row = rows[label(year, doc, key, moment)]
        row[0] += 1
        row[3] += doc.ref in late
    for review in completed_in(year, period):
        row = rows[label(year, year.docs[review.ref], key, moment)]
        row[1 if on_time(review) else 2] += 1
    got = {r.name: [r.documents, r.on_time, r.late, r.overdue] for r in computed[text].groups[key]}
    assert got == dict(rows)


def test_the_owner_and_the_area_are_as_they_stood_then(year: Year, computed):
    owners = {r.name for r in computed["2026-06"].groups["owner"]}
    assert not any(name.startswith("newowner") for name in owners)  # handed over in September
    assert any(
        name.startswith("newowner")
        for name in {r.name for r in computed["2026-11"].groups["owner"]}
    )
    assert "Family Support" not in {r.name for r in computed["2026-06"].groups["service_area"]}
    assert "Family Support" in {r.name for r in computed["2026-11"].groups["service_area"]}


@pytest.mark.parametrize("text", PERIODS)
def test_update_rounds_made_and_missed(year: Year, computed, text):
    period = period_of(text)
    want = []
    for name, deadline, ids in year.rounds:
        if deadline in period:
            made = sum(
                1
                for review_id in ids
                if (r := year.reviews[review_id]).closed and local(r.closed) <= deadline
            )
            want.append((name, deadline, len(ids), made, len(ids) - made))
    got = [(r.name, r.deadline, r.items, r.made, r.missed) for r in computed[text].rounds]
    assert got == want
    if text == "2026-06":
        assert got and got[0][3] and got[0][4]  # some made it, some missed


@pytest.mark.parametrize("text", PERIODS)
def test_documents_with_no_owner(year: Year, computed, text):
    moment = end(period_of(text).last)
    want = sorted(
        doc.ref
        for doc in in_register(year, moment)
        if (owner := DocLog.as_of(doc.owner, moment)) is None
        or (owner in year.left and year.left[owner] < moment)
    )
    assert [d.reference for d in computed[text].no_owner] == want
    assert want  # some were never named, and one owner left in October


@pytest.mark.parametrize("text", PERIODS)
def test_due_dates_of_the_year_ahead(year: Year, computed, text):
    last = period_of(text).last
    moment = end(last)
    want = Counter(
        due
        for doc in in_register(year, moment)
        if last < (due := due_then(year, doc, moment)) <= last + timedelta(days=365)
    )
    assert computed[text].due_ahead == want


def test_a_past_period_reads_the_same_whatever_happened_since(year: Year, computed):
    """June's figures, worked out in early July while the year went on, are June's figures at
    the end of the year too."""
    assert year.early == computed["2026-06"]


def test_a_meeting_is_what_the_body_decided_that_day(year: Year):
    slt_days = Counter(
        local(d.at) for r in year.reviews.values() for d in r.decisions if d.body == "slt"
    )
    day = max(slt_days, key=lambda d: (slt_days[d], d))
    with year.runtime.sessions() as session:
        meeting = F.meeting_record(session, "slt", day, LONDON)
    want = sorted(
        (r.ref, d.kind)
        for r in year.reviews.values()
        for d in r.decisions
        if d.body == "slt" and local(d.at) == day
    )
    assert sorted((i.reference, i.kind) for i in meeting.decided) == want
    moment = end(day)
    waiting = sorted(
        r.ref
        for r in year.reviews.values()
        for n, d in enumerate(r.decisions)
        if d.kind == "referred"
        and d.at < moment
        and not any(
            later.body == "slt" and later.submission == d.submission and later.at < moment
            for later in r.decisions[n + 1 :]
        )
    )
    assert [i.reference for i in meeting.carried_forward] == waiting


def test_what_changed_in_a_month(year: Year):
    period = F.month("2026-11")
    with year.runtime.sessions() as session:
        got = F.changes(session, period, LONDON)
    published = {
        doc.ref: (on, version)
        for doc in year.docs.values()
        for on, version in doc.publications
        if on in period
    }
    assert {c.reference: (c.on, c.version) for c in got.published} == published
    done = completed_in(year, period)
    assert sorted(c.reference for c in got.approved) == sorted(
        r.ref for r in done if r.outcome == "approved" and r.ref not in published
    )
    assert sorted(c.reference for c in got.no_changes) == sorted(
        r.ref for r in done if r.outcome == "approved_no_changes"
    )
    assert all(c.link and c.link.startswith("https://manual.example.org/") for c in got.published)
    assert END  # the log runs to the end of the year


def test_decision_kinds_and_bodies_read_both_shapes():
    class Old:
        level, outcome = "rsm", "deferred_to_slt"

    class New:
        level, outcome, body, referred_to = 2, "referred", "ppp", "board"

    assert (F.decision_kind(Old), F.decided_by_body(Old), F.referred_to(Old)) == (
        "referred",
        "approver",
        "slt",
    )
    assert (F.decision_kind(New), F.decided_by_body(New), F.referred_to(New)) == (
        "referred",
        "ppp",
        "board",
    )


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026/27", date(2026, 4, 1), date(2027, 3, 31)),
        ("2027/2028", date(2027, 4, 1), date(2028, 3, 31)),
        ("2026-27", date(2026, 4, 1), date(2027, 3, 31)),
    ],
)
def test_financial_years(text, first, last):
    assert (F.financial_year(text).first, F.financial_year(text).last) == (first, last)


@pytest.mark.parametrize("text", ["2026/28", "2026", "26/27", "2026/2028"])
def test_what_is_not_a_financial_year_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="2026/27"):
        F.financial_year(text)
