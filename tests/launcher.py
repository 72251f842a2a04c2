"""`signoff` commands started without paying Python's start-up for each.

Importing signoff takes longer than most commands a test runs (an import of a few rows, a tick
over a small register), so a suite that starts hundreds of them the ordinary way mostly measures
start-up. The launcher is one process that imports the command line once and then, for each
command, forks a child: a process of its own (its own PID, environment, working directory,
database connections and output, killed and exited like any other) that runs `signoff`'s real
`main`. The launcher itself starts no threads, so forking it is safe; it is started with the
tests' environment, so a clock moved by `pytest --clock-at` is moved in its children too."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_LAUNCHER = r"""
import json, os, signal, sys
import bot.cli
# What nearly every command goes on to import: once here rather than in every child.
import bot.commands, bot.register_commands, bot.platforms.slack.services  # noqa: E401

def start(job):
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        for fd, name in ((1, "stdout"), (2, "stderr")):
            out = os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, fd)
            os.close(out)
        if job.get("timeout"):
            signal.alarm(job["timeout"])  # a command that hangs is ended, as a timeout would
        try:
            code = bot.cli.main(job["argv"]) or 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

for line in sys.stdin:
    children = [start(job) for job in json.loads(line)]
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
        output (stdout and stderr together) once all have ended."""
        ended = self._batch([{"argv": list(argv)} for argv in argvs], together=True)
        return [(run.returncode, run.stdout) for run in ended]

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: int = 120,
    ) -> subprocess.CompletedProcess[str]:
        """One `signoff ARGV`, as subprocess.run(..., capture_output=True, text=True) would."""
        job = {"argv": list(argv), "timeout": timeout}
        if env is not None:
            job["env"] = dict(env)
        if cwd is not None:
            job["cwd"] = str(cwd)
        return self._batch([job], together=False)[0]

    def _batch(self, jobs: list[dict], *, together: bool) -> list[subprocess.CompletedProcess[str]]:  # type: ignore[type-arg]
        self.batches += 1
        files = []
        for n, job in enumerate(jobs):
            job.setdefault("env", self.env)
            job.setdefault("cwd", str(self.cwd))
            stdout = self.cwd / f"launched-{self.batches}-{n}.out"
            # Run together, a command's two streams are read as one, in the order written.
            stderr = stdout if together else stdout.with_suffix(".err")
            job.update(stdout=str(stdout), stderr=str(stderr))
            files.append((stdout, stderr))
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(jobs) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the launcher died"
        ended = []
        for job, code, (stdout, stderr) in zip(jobs, json.loads(answer), files, strict=True):
            out = stdout.read_text(errors="replace")
            err = "" if stderr == stdout else stderr.read_text(errors="replace")
            for path in {stdout, stderr}:
                path.unlink()
            ended.append(subprocess.CompletedProcess(job["argv"], code, out, err))
        return ended

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
