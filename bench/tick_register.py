"""How long `signoff tick` takes, and how much memory, over a register of N documents: the first
morning (every review in its window opened, reminders rendered and posted to a loopback Slack
stand-in) and a quiet morning after it (nothing new to say).

    python bench/tick_register.py [DOCUMENTS]

Prints figures; asserts nothing. SQLite in a temporary folder, or DATABASE_URL if set.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from measure import timed_signoff

from bot.platforms.slack.standin import SlackStandin, SlackUser

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)


def main() -> None:
    documents = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    today = date(2026, 11, 23)
    people = [SlackUser(f"U{n:05d}", f"person{n}@example.org", f"Person {n}") for n in range(60)]
    with tempfile.TemporaryDirectory() as folder, SlackStandin(users=people) as slack:
        register = Path(folder) / "register.csv"
        register.write_text(
            "\n".join(
                [HEADER]
                + [
                    f"DOC-{n:05d},Document {n},procedure,Area {n % 9},person{n % 50}@example.org,"
                    f"person{50 + n % 10}@example.org,12,,"
                    f"{today + timedelta(days=n % 400 - 60)},1.{n % 9},"
                    for n in range(documents)
                ]
            )
            + "\n"
        )
        env = {
            **os.environ,
            "DATABASE_URL": os.environ.get(
                "DATABASE_URL", f"sqlite:///{Path(folder) / 'bench.db'}"
            ),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": slack.base_url,
            "SIGNOFF_DIGEST_CHANNEL": "CDIGEST",
            "SIGNOFF_SLT_CHANNEL": "CSLT",
            "SIGNOFF_ADMIN_EMAILS": "person0@example.org",
        }

        timed_signoff(env, "db", "upgrade")
        timed_signoff(env, "import", str(register))
        for label, moment in (
            ("first morning", f"{today}T09:30"),
            ("same morning again", f"{today}T10:30"),
            ("next morning", f"{today + timedelta(days=1)}T09:30"),
        ):
            before = len(slack.calls_of("chat.postMessage"))
            seconds, peak = timed_signoff(env, "tick", "--now", moment)
            posted = len(slack.calls_of("chat.postMessage")) - before
            rate = f"{seconds / posted * 1000:6.1f} ms a message" if posted else ""
            print(
                f"{documents} documents, {label:<20} {seconds:6.2f} s  {posted:5d} posted  "
                f"peak RSS {peak:6.1f} MiB  {rate}"
            )


if __name__ == "__main__":
    main()
