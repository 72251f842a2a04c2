"""Every figure signoff is held to, measured in one run and printed beside its target.

    python bench/run.py                      # everything: 1k, 10k and 100k, SQLite and PostgreSQL
    python bench/run.py --quick              # ticks at 1k and 10k only
    python bench/run.py --sections ticks --sizes 100000 --databases sqlite,postgresql

Sections (--sections, comma separated; all by default):
  latency   click and DM to acknowledgement, against a bare Bolt app served the same way
  sql       SQL statements per click at two register sizes, on each database
  ticks     quiet morning, busy morning, Monday digest, admin's App Home and export at each size
  delivery  a burst of DMs against a rate-limited Slack stand-in

PostgreSQL is reached at --postgres (a database per measurement is created and dropped there);
leave it out of --databases where there is none. Each line says how it was measured. Ratios are
measured interleaved, in one run, after a warm-up, so that the machine's load falls on both
sides alike.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sections

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="latency,sql,ticks,delivery")
    parser.add_argument("--sizes", default="1000,10000,100000", help="register sizes for ticks")
    parser.add_argument("--quick", action="store_true", help="ticks at 1,000 and 10,000 only")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres", default=os.environ.get("SIGNOFF_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    parser.add_argument("--samples", type=int, default=300, help="latency samples per side")
    parser.add_argument("--sql-sizes", default="300,30000")
    parser.add_argument("--burst", type=int, default=5000, help="DMs in the delivery burst")
    args = parser.parse_args()
    chosen = args.sections.split(",")
    sizes = [1000, 10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    databases = args.databases.split(",")
    bench = sections.Bench(postgres=args.postgres)
    print(f"signoff bench, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(
        f"this machine's yardstick: {sections.yardstick():.0f} ms (a fixed pure-Python workload, "
        "best of 5; compare it before comparing figures from another run)"
    )
    # The commands are timed as they run from signoff's image, whose bytecode is compiled when
    # it is built; a checkout's is not where PYTHONDONTWRITEBYTECODE is set, and each command
    # would compile signoff's modules again (~0.1 to 0.2 s a process).
    root = Path(__file__).resolve().parents[1]
    for package in ("bot", "db", "handlers", "scheduler", "workflow"):
        compileall.compile_dir(root / package, quiet=1)
    print("signoff's modules compiled to bytecode first, as its image has them")
    if "latency" in chosen:
        sections.latency(bench, samples=args.samples)
    if "sql" in chosen:
        for database in databases:
            sections.sql_per_click(bench, database, [int(s) for s in args.sql_sizes.split(",")])
    if "ticks" in chosen:
        for database in databases:
            sections.ticks(bench, database, sizes)
    if "delivery" in chosen:
        sections.delivery(bench, args.burst)


if __name__ == "__main__":
    main()
