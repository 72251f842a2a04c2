"""Prometheus metrics, served on `/metrics`: what Slack asked and how fast it was answered, how
use cases and jobs ended, and how the outbox stands (read from the database when scraped, so
every replica reports the same figures)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from db.models import OutboxMessage

if TYPE_CHECKING:
    from bot.runtime import Runtime

# Slack wants an ack within 3 s; the buckets are finest below that.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)

REQUESTS = Counter(
    "signoff_slack_requests",
    "Requests from Slack, by kind (event, action, view, command)",
    ["kind"],
)
ACK_SECONDS = Histogram(
    "signoff_slack_ack_seconds",
    "From a request's arrival to its acknowledgement, by kind",
    ["kind"],
    buckets=_ACK_BUCKETS,
)
LISTENER_ERRORS = Counter(
    "signoff_listener_errors", "Slack requests whose listener failed, by kind", ["kind"]
)
USE_CASES = Counter(
    "signoff_use_cases",
    "Use cases run, by use case and outcome (done, refused, failed)",
    ["use_case", "outcome"],
)
JOB_RUNS = Counter(
    "signoff_job_runs", "Periodic jobs run, by job and outcome (done, failed)", ["job", "outcome"]
)
JOB_SECONDS = Histogram(
    "signoff_job_seconds",
    "How long each periodic job took",
    ["job"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
)
DELIVERED = Counter(
    "signoff_outbox_settled",
    "Outbox rows this process settled (sent, skipped) or failed",
    ["outcome"],
)
LEADER = Gauge("signoff_scheduler_leader", "1 while this process is the one that runs the jobs")


def request_kind(body: dict[str, Any] | None) -> str:
    body = body or {}
    if "command" in body:
        return "command"
    kind = body.get("type")
    return {
        "event_callback": "event",
        "block_actions": "action",
        "view_submission": "view",
        "view_closed": "view",
        "block_suggestion": "options",
        "shortcut": "shortcut",
        "message_action": "shortcut",
    }.get(kind or "", "other")


def count_use_case(name: str, outcome: str) -> None:
    USE_CASES.labels(name, outcome).inc()


class OutboxCollector(Collector):
    """The outbox as it stands, read when scraped."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        unsent = OutboxMessage.sent_at.is_(None)
        with self.runtime.sessions() as session:
            depth, oldest = session.execute(
                select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
                    unsent
                )
            ).one()
            failing = session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    unsent, OutboxMessage.parked_at.is_(None), OutboxMessage.last_error.is_not(None)
                )
            )
            parked = session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    unsent, OutboxMessage.parked_at.is_not(None)
                )
            )
        age = max(0.0, (self.runtime.now() - oldest).total_seconds()) if oldest else 0.0
        yield GaugeMetricFamily("signoff_outbox_depth", "Outbox rows not yet sent", value=depth)
        yield GaugeMetricFamily(
            "signoff_outbox_oldest_unsent_seconds",
            "Age of the oldest outbox row not yet sent (0 when none)",
            value=age,
        )
        yield GaugeMetricFamily(
            "signoff_outbox_failing",
            "Outbox rows not yet sent whose last attempt failed (they are retried with backoff)",
            value=failing or 0,
        )
        yield GaugeMetricFamily(
            "signoff_outbox_parked",
            "Outbox rows Slack will not take until someone fixes the cause (signoff outbox)",
            value=parked or 0,
        )


_watched: list[OutboxCollector] = []


def watch(runtime: Runtime) -> None:
    """Report this runtime's outbox and use cases from now on (once per process)."""
    from workflow.context import OUTCOME_OBSERVERS

    if count_use_case not in OUTCOME_OBSERVERS:
        OUTCOME_OBSERVERS.append(count_use_case)
    for old in _watched:
        REGISTRY.unregister(old)
    _watched[:] = [OutboxCollector(runtime)]
    REGISTRY.register(_watched[0])
