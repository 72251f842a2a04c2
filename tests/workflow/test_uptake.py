"""Uptake by its rules: who is sent what is published, acknowledgements, reminders once and only
for the latest version, the rates; and the settings that name the groups."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.settings import Settings, SettingsError, load_settings
from db.models import OutboxMessage
from tests.factories import ADMIN, APPROVER, NOW, OWNER, Register, row
from workflow import uptake
from workflow.context import SYSTEM
from workflow.errors import Refused
from workflow.reviews import decide, mark_published, open_review, submit_draft
from workflow.states import Action
from workflow.uptake_rules import UptakeRules

RULES = UptakeRules(
    types=frozenset({"policy", "procedure"}),
    groups={"Children in Care": ("SCIC",), "children  in care": ("CCIC",), "*": ("CALL",)},
    remind_after_working_days=3,
)


def test_the_groups_of_a_document_are_its_areas_and_every_areas_each_once():
    assert RULES.groups_for("procedure", "CHILDREN IN CARE") == ("SCIC", "CCIC", "CALL")
    assert RULES.groups_for("policy", "Safeguarding") == ("CALL",)
    assert RULES.groups_for("policy", None) == ("CALL",)
    assert RULES.groups_for("form", "Children in Care") == ()
    assert UptakeRules().groups_for("policy", "Children in Care") == ()


def test_the_groups_setting_reads_one_line_json_or_a_table_and_names_mistakes(monkeypatch):
    monkeypatch.setenv("SIGNOFF_UPTAKE_GROUPS", "Children in Care=S0CIC, C0TEAM; *=C0ALL")
    assert load_settings().uptake_groups == {
        "Children in Care": ["S0CIC", "C0TEAM"],
        "*": ["C0ALL"],
    }
    monkeypatch.setenv("SIGNOFF_UPTAKE_GROUPS", '{"Safeguarding": "S0SAFE"}')
    assert load_settings().uptake_rules.groups == {"Safeguarding": ("S0SAFE",)}
    assert Settings(_env_file=None, uptake_groups={"A": ["S1"]}).uptake_groups == {"A": ["S1"]}
    for wrong, says in (
        ("Children in Care", "names no service area"),
        ("Children in Care=", "no group named for 'Children in Care'"),
        ("{not json", "not a JSON object"),
    ):
        monkeypatch.setenv("SIGNOFF_UPTAKE_GROUPS", wrong)
        with pytest.raises(SettingsError, match=f"SIGNOFF_UPTAKE_GROUPS: .*{says}"):
            load_settings()
    monkeypatch.delenv("SIGNOFF_UPTAKE_GROUPS")
    monkeypatch.setenv("SIGNOFF_UPTAKE_TYPES", "Policies, leaflet")
    with pytest.raises(
        SettingsError, match="SIGNOFF_UPTAKE_TYPES: unknown document type 'leaflet'"
    ):
        load_settings()


def publish(register: Register, version_summary: str, at=NOW) -> None:  # type: ignore[no-untyped-def]
    review = open_review(register.ctx(SYSTEM, at), "LAC-014")
    submit_draft(register.ctx(OWNER, at), review.id, link=None, summary=version_summary)
    decide(register.ctx(APPROVER, at), review.id, Action.APPROVE)
    mark_published(with_rules(register.ctx(ADMIN, at)), "LAC-014")


def with_rules(ctx):  # type: ignore[no-untyped-def]
    return replace(ctx, uptake=RULES)


def test_publication_asks_each_group_once_and_members_once_however_many_groups(runtime):
    register = Register(runtime)
    register.add(row())
    publish(register, "Second reviews within three months.")
    with runtime.sessions() as session:
        groups = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "uptake_note")
        ).all()
        assert sorted(m.audience for m in groups) == ["group:CALL", "group:CCIC", "group:SCIC"]
        uptake_id = groups[0].payload["uptake_id"]
    with runtime.sessions.begin() as session:
        assert uptake.add_recipients(session, uptake_id, "SCIC", ["U1", "U2", "U2"], now=NOW) == 2
        assert uptake.add_recipients(session, uptake_id, "CALL", ["U2", "U3"], now=NOW) == 1
        # Delivery retried after a crash: nothing new.
        assert uptake.add_recipients(session, uptake_id, "SCIC", ["U1", "U2"], now=NOW) == 0
    with runtime.sessions() as session:
        staff = session.scalars(
            select(OutboxMessage.audience).where(OutboxMessage.audience.like("user:%"))
        ).all()
    assert sorted(staff) == ["user:U1", "user:U2", "user:U3"]
    with runtime.sessions() as session:
        (rate,) = uptake.rates_of(session, register.document().id)
    assert (rate.version, rate.sent, rate.read, rate.percent) == ("3.10", 3, 0, "0%")


def test_only_those_sent_it_acknowledge_and_reminders_go_once_for_the_latest_version(runtime):
    register = Register(runtime)
    register.add(row())
    publish(register, "First change.")
    with runtime.sessions() as session:
        first = (
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "uptake_note"))
            .first()
            .payload["uptake_id"]
        )
    with runtime.sessions.begin() as session:
        uptake.add_recipients(session, first, "SCIC", ["U1", "U2", "U3"], now=NOW)
    ctx = with_rules(register.ctx("system"))
    seen = uptake.acknowledge(ctx, first, "U1")
    assert seen.acknowledged_at == NOW and seen.summary == "First change."
    assert uptake.acknowledge(ctx, first, "U1").acknowledged_at == NOW  # a second click
    with pytest.raises(Refused, match="not sent to you"):
        uptake.acknowledge(ctx, first, "U9")

    # Monday's note: three working days on is Thursday; not before.
    wednesday = with_rules(register.ctx("system", NOW + timedelta(days=2)))
    assert uptake.remind_unread(wednesday) == 0
    thursday = with_rules(register.ctx("system", NOW + timedelta(days=3)))
    assert uptake.remind_unread(thursday) == 2
    assert uptake.remind_unread(thursday) == 0  # once only

    # A newer version published: those who have not read the old one are not chased for it.
    later = NOW + timedelta(days=10)
    publish(register, "Second change.", at=later)
    with runtime.sessions() as session:
        second = max(
            m.payload["uptake_id"]
            for m in session.scalars(select(OutboxMessage))
            if m.kind == "uptake_note"
        )
    with runtime.sessions.begin() as session:
        uptake.add_recipients(session, second, "SCIC", ["U1", "U2", "U3", "U4"], now=later)
    uptake.acknowledge(ctx, second, "U4")
    with runtime.sessions.begin() as session:
        uptake.add_recipients(session, first, "SCIC", ["U5"], now=NOW)  # a late joiner, of old
    assert uptake.remind_unread(with_rules(register.ctx("system", later + timedelta(days=7)))) == 3
    with runtime.sessions() as session:
        reminded = session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.kind == "uptake_reminder")
        ).all()
        assert sorted(reminded) == sorted(
            [f"uptake_reminder:{first}:U2", f"uptake_reminder:{first}:U3"]
            + [f"uptake_reminder:{second}:U{n}" for n in (1, 2, 3)]
        )
        by_document = uptake.rates_by_document(session)
        by_area = uptake.rates_by_area(session)
    assert [(r.version, r.sent, r.read, r.reminded) for r in by_document] == [("3.11", 4, 1, 3)]
    assert [(r.title, r.percent) for r in by_area] == [("Children in Care", "25%")]
