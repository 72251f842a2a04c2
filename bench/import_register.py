"""How long, and how much memory, importing and exporting a large register takes.

    python bench/import_register.py [ROWS]

Prints figures; asserts nothing. Runs on a throwaway SQLite file, or on DATABASE_URL if set.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from measure import timed_signoff

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.csv"
        lines = [HEADER] + [
            f"DOC-{n:05d},Document {n},procedure,Area {n % 12},ro{n % 300}@example.org,"
            f"rsm{n % 40}@example.org,12,{1 + n % 28:02d}/0{1 + n % 9}/2026,,1.{n % 10},"
            for n in range(rows)
        ]
        path.write_text("\n".join(lines) + "\n")
        env = dict(os.environ)
        env.setdefault("DATABASE_URL", f"sqlite:///{Path(folder) / 'bench.db'}")

        timed_signoff(env, "db", "upgrade")
        for label, args in (
            (f"import {rows} new rows", ("import", str(path))),
            (f"import {rows} unchanged rows", ("import", str(path))),
            (f"export {rows} rows to CSV", ("export", str(Path(folder) / "out.csv"))),
            (f"export {rows} rows to XLSX", ("export", str(Path(folder) / "out.xlsx"))),
        ):
            seconds, peak = timed_signoff(env, *args)
            print(f"{label:<34} {seconds:6.2f} s   peak RSS {peak:6.1f} MiB")


if __name__ == "__main__":
    main()
