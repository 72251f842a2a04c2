"""Two clicks at the same instant on one approval request: Approve and Approve (a double tap, or
two devices), and Approve against the Defer to SLT form being submitted. Exactly one decision is
recorded for each request, and no message is posted twice."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from bot.platforms.slack.simulator import find_button
from db.models import Decision, Review, Submission
from tests.adversarial.conftest import report
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import USERS, Signoff
from tests.e2e.test_review_path import texts
from tests.factories import Register, row
from workflow.context import SYSTEM
from workflow.reviews import open_review, start_review, submit_draft

# PostgreSQL is where replicas and threads really race; SQLite takes one writer at a time, so
# it runs a few pairs to show the same answers there.
PAIRS = 100 if POSTGRES_URL else 10
# One pair in flight at a time: the race the issue asks about is within a pair. Several pairs
# at once on two busy cores (CI runs the SQLite suite alongside) starve the listeners, and a
# form's submission, whose listener runs the use case before it acks, then misses Slack's 3 s
# and is answered 404: a limit of bursts under load, said in the closing note, not this race.
AT_ONCE = 1
# Even one pair at a time, a machine starved enough (both suites at once on two slow cores) can
# keep a form's listener past Bolt's 3 s; the decision is still recorded once. Such late answers
# are counted and shown, and at most this share of the forms may be one (3 of 50 were, with the
# moved-clock suites running beside this test on two cores).
LATE_FORMS = 0.1


def test_a_hundred_pairs_of_same_instant_clicks_make_one_decision_each(
    signoff: Signoff, runtime, clock
):
    slack, sim = signoff.slack, signoff.sim
    owner, approver = USERS["owner"], USERS["approver"]
    register = Register(runtime)
    due = signoff.today + timedelta(days=10)
    register.add(
        *(
            row(
                f"SI-{n:03d}",
                line=n + 2,
                owner_email=owner.email,
                approver_email=approver.email,
                next_review_due=due,
            )
            for n in range(PAIRS)
        )
    )
    now = clock.now()
    for n in range(PAIRS):
        review = open_review(register.ctx(SYSTEM, now), f"SI-{n:03d}")
        start_review(register.ctx(owner.email, now), review.id)
        submit_draft(
            register.ctx(owner.email, now),
            review.id,
            link=f"https://drafts.example.org/si-{n}",
            summary="New timescales.",
        )
    signoff.cli("tick")  # delivers the approval requests
    requests = slack.wait_for(
        lambda: (
            found
            if len(found := [m for m in slack.dms_to(approver.id) if "Approval needed" in texts(m)])
            >= PAIRS
            else None
        ),
        timeout=60,
    )
    requests = [copy.deepcopy(m) for m in requests[:PAIRS]]

    # The Defer forms are opened first; their submission races the Approve click.
    forms = {}
    for n, request in enumerate(requests):
        if n % 2:
            before = len(slack.calls_of("views.open"))
            assert sim.click(approver.id, request, "Defer to SLT").status == 200
            slack.wait_for(lambda b=before: len(slack.calls_of("views.open")) > b)
            forms[n] = copy.deepcopy(slack.open_view_for(approver.id))

    def pair(n: int) -> list[tuple[str, int]]:
        request = requests[n]
        gate = threading.Barrier(2)

        def approve() -> tuple[str, int]:
            gate.wait()
            return "click", sim.click(approver.id, request, "Approve").status

        def defer() -> tuple[str, int]:
            gate.wait()
            if n % 2 == 0:
                return "click", sim.click(approver.id, request, "Approve").status
            view = forms[n]
            return "form", sim.submit(approver.id, view, {"Reason": "Spans two services."}).status

        with ThreadPoolExecutor(2) as both:
            return [f.result() for f in (both.submit(approve), both.submit(defer))]

    def review_ids(batch: range) -> list[int]:
        return [
            int(find_button(requests[n].blocks, "Approve")[1]["value"].split(":")[0]) for n in batch
        ]

    def decisions() -> Counter[int]:
        with runtime.sessions() as session:
            return Counter(
                dict(
                    session.execute(
                        select(Review.id, func.count(Decision.id))
                        .join(Submission, Submission.review_id == Review.id)
                        .join(Decision, Decision.submission_id == Submission.id, isouter=True)
                        .group_by(Review.id)
                    ).all()
                )
            )

    statuses: Counter[tuple[str, int]] = Counter()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        for first in range(0, PAIRS, AT_ONCE):
            batch = range(first, min(first + AT_ONCE, PAIRS))
            statuses.update(s for answers in pool.map(pair, batch) for s in answers)
            slack.wait_for(lambda b=batch: all(decisions()[r] for r in review_ids(b)), timeout=30)

    slack.wait_for(lambda: all(decisions()[r] for r in decisions()) or None, timeout=60)
    signoff.cli("tick")  # whatever a listener left in the outbox, sent now
    made = decisions()
    keys = [k for k in slack.posted_keys() if k]
    repeats = {k: n for k, n in Counter(keys).items() if n > 1}
    with runtime.sessions() as session:
        states = Counter(session.scalars(select(Review.state)).all())
        outcomes = Counter(session.scalars(select(Decision.outcome)).all())
    report(
        "same-instant clicks",
        {
            "pairs": PAIRS,
            "answers": {f"{kind} {status}": n for (kind, status), n in statuses.items()},
            "reviews with one decision": sum(1 for n in made.values() if n == 1),
            "with more": sum(1 for n in made.values() if n > 1),
            "with none": sum(1 for n in made.values() if n == 0),
            "states": dict(states),
            "outcomes": dict(outcomes),
            "messages posted": len(keys),
            "posted twice": len(repeats),
        },
    )
    forms_sent = PAIRS // 2
    assert statuses[("click", 200)] == 2 * PAIRS - forms_sent, statuses
    # 404 is Bolt's answer to a listener that did not ack within Slack's 3 s; nothing else.
    assert statuses[("form", 200)] + statuses[("form", 404)] == forms_sent, statuses
    assert statuses[("form", 404)] <= LATE_FORMS * forms_sent, statuses
    assert len(made) == PAIRS and set(made.values()) == {1}, made
    assert repeats == {}
