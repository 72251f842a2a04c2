"""Timing a `signoff` command as its own process: wall-clock seconds and peak RSS."""

from __future__ import annotations

import subprocess
import sys
import time


def timed_signoff(
    env: dict[str, str], *args: str, program: tuple[str, ...] = ("-m", "bot")
) -> tuple[float, float]:
    """Run `signoff ARGS` (or `program` with ARGS); (seconds, peak resident memory in MiB).
    Fails if the command fails."""
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, *program, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return time.perf_counter() - start, peak_kib / 1024
