"""The App Home tab, published when a person opens it and after each thing they do."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from slack_bolt import App, BoltContext
from sqlalchemy.orm import Session

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks.home import PER_SECTION, HomeData, Listed, home_view
from handlers.common import render_for, services
from workflow import queries, uptake
from workflow.rounds import open_rounds
from workflow.summaries import document_views, review_summary


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)


def on_home_opened(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(services(context), event["user"])


def publish_home(svc: Services, user_id: str) -> None:
    actor = svc.actor(user_id)
    if actor is None or actor.person_id is None:
        return
    render = render_for(svc)
    with svc.runtime.sessions() as session:

        def summaries(ids: list[int]) -> list:  # type: ignore[type-arg]
            return [review_summary(session, rid, svc.runtime.rules) for rid in ids]

        def listed(ids: list[int]) -> Listed:
            return Listed(summaries(ids[:PER_SECTION]), len(ids))

        rules = svc.runtime.rules
        # Bodies that meet are not "awaiting your decision": their chair records from the
        # meeting's papers, so those items show under the body instead.
        deciding = frozenset(key for key in rules.bodies if not rules.meets(key)) & rules.bodies_of(
            actor.email or ""
        )
        sits_on = [
            key
            for key in rules.deciding_bodies()
            if actor.is_admin or actor.emails & set(rules.body(key).members)
        ]
        data = HomeData(
            to_review=listed(queries.reviews_to_do(session, actor.person_id)),
            to_decide=listed(queries.reviews_to_decide(session, actor.person_id, deciding)),
            with_bodies=[
                (rules.name_of(key), listed(queries.reviews_with(session, key)))
                for key in sits_on
                if key not in deciding or actor.is_admin
            ],
            recent=summaries(queries.recently_decided(session, actor.person_id)),
            is_admin=actor.is_admin,
            counts=queries.status_counts(session) if actor.is_admin else {},
            overdue=document_views(session, queries.overdue(session, render.today))
            if actor.is_admin
            else (),
            rounds=_rounds(svc, session) if actor.is_admin else (),
            **(_chart(svc, render.today) if actor.is_admin else {}),
            uptake_by_area=uptake.rates_by_area(session) if actor.is_admin else (),
            uptake_by_document=uptake.rates_by_document(session) if actor.is_admin else (),
        )
    svc.client.views_publish(user_id=user_id, view=home_view(data, render))


def _chart(svc: Services, today: date) -> dict[str, Any]:
    """The monthly report's headline chart, which Slack fetches from `signoff serve`."""
    from bot.reports import charts, headline

    if not charts.available():
        return {}
    month = headline.last_month(today)
    url = headline.chart_url(svc.runtime.settings, month)
    if url is None:
        return {
            "chart_hint": "Set SIGNOFF_PUBLIC_URL to this app's public address to see the "
            "overdue chart here."
        }
    return {"chart_url": url, "chart_title": headline.title(month)}


def _rounds(svc: Services, session: Session) -> list[tuple[str, date, dict[str, int]]]:
    render = render_for(svc)
    return [
        (round_.name, round_.deadline, dict(Counter(s.status for s in items)))
        for round_, items in open_rounds(session, render.today, render.zone)
    ]
