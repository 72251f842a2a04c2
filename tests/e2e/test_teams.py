"""The review path of the Slack end-to-end tests, over Microsoft Teams: `signoff serve` on
loopback taking activities on /api/messages, each with a Bot Framework token signed by a key the
test owns (served by the stand-in's OpenID metadata), and writing through the Bot Connector
stand-in. One server for the module; the tests run in order, on one register."""

from __future__ import annotations

import copy
import csv
import io
import shutil
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from dateutil.relativedelta import relativedelta
from sqlalchemy import create_engine, func, select

from bot.clock import FixedClock
from bot.platforms.teams.simulator import Form, TeamsSimulator
from bot.platforms.teams.standin import Activity, BotConnectorStandin, TeamsUser
from db.models import PostedMessage
from tests.conftest import DEFAULT_START, POSTGRES_URL
from tests.e2e.conftest import LONDON, Server, Signoff, base_env
from tests.launcher import Launcher
from tests.teams.schemas import card_problems

pytestmark = pytest.mark.clock

DIGEST = "19:digest0001@thread.tacv2"
SLT = "19:slt0001@thread.tacv2"
PEOPLE = {
    "owner": TeamsUser("0a0e0001-0000-4000-8000-000000000001", "owner@example.org", "Olive Owner"),
    "approver": TeamsUser(
        "0a0e0002-0000-4000-8000-000000000002", "approver@example.org", "Amir Approver"
    ),
    "slt": TeamsUser("0a0e0003-0000-4000-8000-000000000003", "slt.one@example.org", "Sita Leader"),
    "slt2": TeamsUser("0a0e0004-0000-4000-8000-000000000004", "slt.two@example.org", "Sam Leader"),
    "admin": TeamsUser("0a0e0005-0000-4000-8000-000000000005", "ppo@example.org", "Pat Officer"),
    "hoqa": TeamsUser("0a0e0006-0000-4000-8000-000000000006", "hoqa@example.org", "Hana Quality"),
    "stranger": TeamsUser(
        "0a0e0007-0000-4000-8000-000000000007", "stranger@example.org", "Stan Ranger"
    ),
}


class Teams(Signoff):
    """A running signoff that serves Teams, and the means to drive it."""

    standin: BotConnectorStandin
    teams: TeamsSimulator

    def to(self, role: str) -> list[Activity]:
        return self.standin.to(PEOPLE[role].email)

    def card_to(self, role: str, needle: str, count: int = 1) -> Activity:
        def found() -> list[Activity] | None:
            hits = [a for a in self.to(role) if needle in a.words()]
            return hits if len(hits) >= count else None

        return self.standin.wait_for(found)[-1]

    def recorded(self, card: Activity) -> Activity:
        """`card` once signoff has recorded that it posted it. Teams shows a card before the
        bot has its id back, but nobody presses a button in those few milliseconds; a test
        would, and be answered about a card signoff does not know yet."""
        engine = create_engine(self.env["DATABASE_URL"])
        try:

            def known() -> bool:
                with engine.connect() as connection:
                    return bool(
                        connection.scalar(
                            select(func.count())
                            .select_from(PostedMessage)
                            .where(PostedMessage.message_id == card.id)
                        )
                    )

            self.standin.wait_for(known)
        finally:
            engine.dispose()
        return card

    def export(self) -> dict[str, dict[str, str]]:
        rows = csv.DictReader(io.StringIO(self.cli("export", "-").stdout))
        return {row["reference"]: row for row in rows}

    def form(self, role: str, where: Activity, label: str) -> Form:
        opened = self.teams.click(PEOPLE[role].email, where, label)
        assert isinstance(opened, Form), f"{label} opened no form: {opened}"
        return opened

    def press(self, role: str, where: Activity, label: str) -> dict:
        reply = self.teams.click(PEOPLE[role].email, where, label)
        assert not isinstance(reply, Form) and reply.status == 200, reply
        return reply.json()


@pytest.fixture(scope="module")
def teams(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, launcher: Launcher
) -> Iterator[Teams]:
    if POSTGRES_URL:
        pytest.skip("the Teams module runs on its own SQLite database")
    workdir = tmp_path_factory.mktemp("teams")
    database = workdir / "signoff.db"
    shutil.copy(_sqlite_template, database)
    clock = FixedClock(DEFAULT_START)
    standin = BotConnectorStandin(users=[copy.copy(u) for u in PEOPLE.values()])
    standin.start()
    env = {
        **base_env(f"sqlite:///{database}", "http://127.0.0.1:9/api/"),
        **standin.settings(),
        "SIGNOFF_PLATFORMS": "teams",
        "TEAMS_DIGEST_CHANNEL": DIGEST,
        "TEAMS_SLT_CHANNEL": SLT,
    }
    for slack_only in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SIGNOFF_SLT_CHANNEL"):
        env.pop(slack_only, None)
    env.pop("SIGNOFF_DIGEST_CHANNEL", None)
    server = Server(env, workdir, launcher)
    server.start(clock.now())
    running = Teams(server.url, env, None, None, workdir, clock, server, launcher)  # type: ignore[arg-type]
    running.standin = standin
    running.teams = TeamsSimulator(server.url + "/api/messages", standin, clock.now)
    try:
        yield running
    finally:
        server.stop()
        standin.stop()


def register(teams: Teams, due: date) -> None:
    header = (
        "reference,title,type,service_area,owner_email,approver_email,"
        "review_cycle_months,last_approved,next_review_due,version,link"
    )
    far = teams.today + timedelta(days=200)
    rows = [
        f"LAC-014,Looked After Children Reviews,procedure,Children in Care,owner@example.org,"
        f"approver@example.org,12,,{due:%d/%m/%Y},3.9,https://manual.example.org/lac-014",
        f"CP-001,Child Protection Conferences,policy,Safeguarding,owner@example.org,"
        f"approver@example.org,36,,{far:%d/%m/%Y},1.0,",
    ]
    path = teams.workdir / "register.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    teams.cli("import", str(path))


def tick(teams: Teams, day: date | None = None) -> str:
    if day is not None and day > teams.today:
        teams.clock.set(datetime.combine(day, time(9, 30), tzinfo=LONDON))
    return teams.cli("tick").stdout


def buttons(activity: Activity) -> list[str]:
    from bot.platforms.teams.simulator import actions_of

    return [a["title"] for a in actions_of(activity.card or {})]


def test_forged_expired_and_wrong_audience_tokens_are_refused_and_change_nothing(teams: Teams):
    sim, standin = teams.teams, teams.standin
    owner = PEOPLE["owner"]
    install = sim.activity(owner, "installationUpdate", action="add")
    now = teams.clock.now()
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = standin.sign(
        {
            "iss": "https://api.botframework.com",
            "aud": standin.app_id,
            "exp": int((now + timedelta(hours=1)).timestamp()),
            "serviceurl": standin.service_url,
        },
        key=stranger_key,
    )
    # Expired beyond the five minutes' leeway, by the server's clock (not the machine's).
    expired = standin.token_for(now - timedelta(hours=2), lifetime=timedelta(minutes=50))
    wrong_audience = standin.token_for(now, audience="00000000-0000-4000-8000-0000000000ff")
    for token in (forged, expired, wrong_audience, ""):
        assert sim.send(install, token=token).status == 401
        assert sim.send(sim.activity(owner, "message", text="status"), token=token).status == 401
    assert standin.activities == []  # nothing said to anyone
    assert "owner@example.org" not in teams.cli("export", "-").stdout
    # The same activity, signed as Teams signs it, is taken: refusing it changed nothing.
    owner_in_standin = standin.user(owner.email)
    owner_in_standin.installed = True
    assert sim.send(install).status == 200
    standin.wait_for(lambda: standin.to(owner.email))


def test_the_review_path_over_teams(teams: Teams):
    sim, standin = teams.teams, teams.standin
    # The app installed for the people and in the team with the digest and SLT channels; the
    # approver has not got it yet.
    for role in ("owner", "slt", "slt2", "admin", "stranger"):
        assert sim.install(PEOPLE[role].email).status == 200
    assert sim.install_in_team(PEOPLE["admin"].email, DIGEST).status == 200
    assert sim.install_in_team(PEOPLE["admin"].email, SLT).status == 200

    due = teams.today + timedelta(days=42)
    register(teams, due)

    # The jobs: the owner's reminder, the digest in its channel; the approver's note waits for
    # the app to be installed for them, and the admins are told once, with the fix.
    said = tick(teams).splitlines()[-1]
    assert said.startswith("delivery: sent ") and "parked" in said
    reminder = teams.card_to("owner", "Review due: LAC-014")
    assert "CP-001" not in reminder.words()
    assert buttons(reminder) == ["Start review", "No changes needed", "Submit draft"]
    digest = standin.wait_for(lambda: standin.in_conversation(DIGEST))[-1]
    assert digest.text.startswith("signoff weekly") and digest.card is not None
    told = teams.card_to("admin", "not installed in Teams for approver@example.org")
    assert "app setup policy" in told.words() and "TeamsAppInstallation" in told.words()
    assert sim.install(PEOPLE["approver"].email).status == 200
    note = teams.card_to("approver", "For your information")
    assert "LAC-014" in note.words()
    tick(teams)
    assert len([a for a in teams.to("admin") if "not installed in Teams" in a.words()]) == 1

    # The owner submits a draft through the form.
    form = teams.form("owner", reminder, "Submit draft")
    assert form.title == "Submit draft"
    reply = sim.submit(
        PEOPLE["owner"].email,
        form,
        {
            "Link to draft": "https://drafts.example.org/lac-014-v4",
            "Summary of changes": "Updated the timescales for the second review.",
        },
    )
    assert reply.status == 200 and reply.json()["task"]["type"] == "message"
    request = teams.card_to("approver", "Approval needed")
    as_first_seen = copy.deepcopy(request)
    assert "https://drafts.example.org/lac-014-v4" in request.words()
    assert "History" in request.words()
    # The reminder is updated in place: no buttons left, the state shown.
    standin.wait_for(lambda: "Awaiting approval" in reminder.words())
    assert buttons(reminder) == [] and reminder.edited

    # A stranger presses Approve: told why, to them alone; nothing changes.
    refused = teams.press("stranger", request, "Approve")
    assert "Only the approver of LAC-014" in refused["value"]
    assert teams.export()["LAC-014"]["status"] == "awaiting_approval"

    # The approver approves with conditions.
    form = teams.form("approver", request, "Approve with conditions")
    conditions = "Add the IRO's role in paragraph 4.\nCite the 2015 regulations."
    assert sim.submit(PEOPLE["approver"].email, form, {"Conditions": conditions}).status == 200
    told = teams.card_to("owner", "Changes requested")
    assert "Add the IRO's role" in told.words() and "Cite the 2015 regulations." in told.words()
    standin.wait_for(lambda: "Approved with conditions" in teams.to("approver")[-1].words())
    updated = next(a for a in teams.to("approver") if a.id == request.id)
    assert buttons(updated) == []

    # A stale press on the old card answers with where things stand, and changes nothing.
    stale = teams.press("approver", as_first_seen, "Approve")
    assert "changes requested" in stale["value"].lower()
    assert teams.export()["LAC-014"]["status"] == "changes_requested"

    # The redraft; the approver defers it to the committee (the SLT).
    form = teams.form("owner", told, "Submit draft")
    sim.submit(
        PEOPLE["owner"].email,
        form,
        {"Link to draft": "https://drafts.example.org/v5", "Summary of changes": "Added it."},
    )
    second = teams.card_to("approver", "Approval needed", count=2)
    assert second.id != request.id
    form = teams.form("approver", second, "Defer to SLT")
    sim.submit(PEOPLE["approver"].email, form, {"Reason": "It changes two services' practice."})
    slt_card = standin.wait_for(
        lambda: [a for a in standin.in_conversation(SLT) if "SLT decision" in a.words()]
    )[-1]
    assert buttons(slt_card) == ["Approve", "Approve with conditions"]
    assert "two services" in slt_card.words()

    # The approver is not on the SLT; an SLT member is, and approves.
    refused = teams.press("approver", slt_card, "Approve")
    assert "Only a member of the Senior Leadership Team" in refused["value"]
    answered = teams.press("slt", slt_card, "Approve")
    assert answered["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Approve" not in [
        a.get("title") for e in answered["value"]["body"] for a in e.get("actions", [])
    ]
    publish = teams.card_to("admin", "Mark published")
    assert "3.10" in publish.words()
    row = teams.export()["LAC-014"]
    assert row["status"] == "current" and row["version"] == "3.10"
    assert row["last_approved"] == teams.today.isoformat()
    assert row["next_review_due"] == (teams.today + relativedelta(months=12)).isoformat()
    assert row["publication"] == "pending"
    teams.card_to("owner", "approved as version 3.10")

    # The same press delivered again (the same activity id): acted on once.
    history = teams.cli("history", "LAC-014").stdout
    posts = len(standin.calls_of("send"))
    again = sim.resend_last()
    assert again.status == 200 and "already dealt with" in again.json()["value"]
    approved = "review.approved (Senior Leadership Team)"
    assert teams.cli("history", "LAC-014").stdout.count(approved) == history.count(approved) == 1
    assert len(standin.calls_of("send")) == posts

    # Publication, by the admin's button.
    teams.press("admin", publish, "Mark published")
    standin.wait_for(lambda: teams.export()["LAC-014"]["publication"] == "")

    # A chat reply with a date: the next review is opened early, with that target.
    assert sim.message(PEOPLE["owner"].email, "I'll have LAC-014 done in 2 weeks").status == 200
    teams.card_to("owner", "Noted: you will finish LAC-014")
    row = teams.export()["LAC-014"]
    assert row["target_date"] == (teams.today + timedelta(days=14)).isoformat()
    assert row["status"] == "review_due"
    sim.message(PEOPLE["owner"].email, "status")
    teams.card_to("owner", "Your open reviews")
    sim.message(PEOPLE["owner"].email, "help")
    teams.card_to("owner", "runs the review of your policies")

    # Every card posted along the way is valid, and carried its outbox key, each key once.
    for activity in standin.activities:
        assert activity.card is None or card_problems(activity.card) == [], activity.text
    keys = [k for k in standin.posted_keys() if k]
    assert len(keys) == len(set(keys))
