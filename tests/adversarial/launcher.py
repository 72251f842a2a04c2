"""Many short `signoff` processes started at once, without paying Python's start-up for each.

A tick over a small register takes a fraction of the second that importing signoff takes, so a
hundred pairs of ticks started the ordinary way measure start-up, not the race. The launcher is
one process that imports the command line once and then, for each batch, forks one child per
command: each child is a process of its own (its own database connections, its own PID, killed
and exited like any other) that runs `signoff`'s real `main`. The launcher starts no threads, so
forking it is safe."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_LAUNCHER = r"""
import json, os, sys
import bot.cli

for line in sys.stdin:
    batch = json.loads(line)
    children = []
    for job in batch:
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.chdir(job["cwd"])
                os.environ.clear()
                os.environ.update(job["env"])
                out = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(out, 1)
                os.dup2(out, 2)
                try:
                    code = bot.cli.main(job["argv"]) or 0
                except SystemExit as stop:
                    code = stop.code if isinstance(stop.code, int) else 1
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    print(json.dumps(codes), flush=True)
"""


class Launcher:
    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        self.env, self.cwd = dict(env), cwd
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            env=self.env,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.batches = 0

    def run_together(self, *argvs: Sequence[str]) -> list[tuple[int, str]]:
        """Start one `signoff` per argument list at the same moment; each one's exit code and
        output once all have ended."""
        self.batches += 1
        outputs = [self.cwd / f"launched-{self.batches}-{n}.log" for n in range(len(argvs))]
        batch = [
            {"argv": list(argv), "env": self.env, "cwd": str(self.cwd), "output": str(output)}
            for argv, output in zip(argvs, outputs, strict=True)
        ]
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(batch) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the launcher died"
        codes = json.loads(answer)
        said = [output.read_text(errors="replace") for output in outputs]
        for output in outputs:
            output.unlink()
        return list(zip(codes, said, strict=True))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
