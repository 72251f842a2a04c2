"""Moves the clock of every Python process the tests start, when `pytest --clock-at` asks.

Python runs this at start-up because the tests put this folder first on PYTHONPATH. The shift
is relative to the real clock, so the test process and every `signoff` it starts agree on the
time to within milliseconds, and the clock goes on ticking from there."""

import os

_shift = os.environ.get("TESTS_CLOCK_SHIFT_SECONDS")
if _shift:
    from datetime import timedelta

    import time_machine

    time_machine.travel(timedelta(seconds=float(_shift)), tick=True).start()
