"""`signoff` commands started without paying Python's start-up for each.

Importing signoff takes longer than most commands a test runs (an import of a few rows, a tick
over a small register), so a suite that starts hundreds of them the ordinary way mostly measures
start-up. The launcher is one process that imports the command line once and then, for each
command, forks a child: a process of its own (its own PID, environment, working directory,
database connections and output, killed and exited like any other) that runs `signoff`'s real
`main`. The launcher itself starts no threads, so forking it is safe; it is started with the
tests' environment, so a clock moved by `pytest --clock-at` is moved in its children too.

A command is either run to its end (`run`, `run_together`) or started and left running
(`start`: `signoff serve`, say), handed back as a `Launched` that is signalled, polled and waited
for as a subprocess.Popen would be."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

_LAUNCHER = r"""
import json, os, signal, sys, time
import bot.cli
# What nearly every command goes on to import, and what `serve` does: once here rather than in
# every child.
import bot.commands, bot.register_commands, bot.platforms.slack.services  # noqa: E401
import bot.platforms.slack.app, bot.server, waitress  # noqa: E401
from handlers import actions, commands, errors, events, home, views  # noqa: F401

def start(job):
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        # What the command reads: its input if it was given one, never the launcher's own.
        given = os.open(job.get("stdin") or os.devnull, os.O_RDONLY)
        os.dup2(given, 0)
        os.close(given)
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        mode = os.O_APPEND if job.get("append") else os.O_TRUNC
        for fd, name in ((1, "stdout"), (2, "stderr")):
            out = os.open(job[name], os.O_WRONLY | os.O_CREAT | mode, 0o600)
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

def reap(pid, timeout):
    # The exit code of a started child once it has ended, or None if it runs on past `timeout`.
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)

for line in sys.stdin:
    asked = json.loads(line)
    if isinstance(asked, list):  # run these to their end
        children = [start(job) for job in asked]
        answer = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    elif "start" in asked:  # and leave it running
        answer = start(asked["start"])
    else:
        answer = reap(asked["wait"], asked["timeout"])
    print(json.dumps(answer), flush=True)
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
        self._lock = threading.Lock()  # one question to the launcher, one answer, at a time

    def run_together(
        self,
        *argvs: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> list[tuple[int, str]]:
        """Start one `signoff` per argument list at the same moment; each one's exit code and
        output (stdout and stderr together) once all have ended."""
        ended = self._batch([_job(argv, env, cwd) for argv in argvs], together=True)
        return [(run.returncode, run.stdout) for run in ended]

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: int = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """One `signoff ARGV`, as subprocess.run(..., capture_output=True, text=True) would."""
        job = _job(argv, env, cwd, timeout=timeout)
        if input is not None:
            job["input"] = input
        return self._batch([job], together=False)[0]

    def start(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, output: Path
    ) -> Launched:
        """`signoff ARGV` left running, its stdout and stderr appended to `output`."""
        job = {"argv": list(argv), "env": dict(env), "cwd": str(cwd), "append": True}
        job.update(stdout=str(output), stderr=str(output))
        return Launched(self, self._ask({"start": job}), list(argv))

    def _ask(self, question: object) -> object:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self._lock:
            self.process.stdin.write(json.dumps(question) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        assert answer, "the launcher died"
        return json.loads(answer)

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
            if "input" in job:
                given = stdout.with_suffix(".in")
                given.write_text(str(job.pop("input")), encoding="utf-8")
                job["stdin"] = str(given)
        codes = self._ask(jobs)
        assert isinstance(codes, list)
        ended = []
        for job, code, (stdout, stderr) in zip(jobs, codes, files, strict=True):
            out = stdout.read_text(errors="replace")
            err = "" if stderr == stdout else stderr.read_text(errors="replace")
            for path in {stdout, stderr, Path(str(job.get("stdin", stdout)))}:
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


def _job(
    argv: Sequence[str], env: Mapping[str, str] | None, cwd: Path | None, **more: object
) -> dict[str, object]:
    """One command for the launcher; the launcher's own environment and directory unless
    others are given."""
    job: dict[str, object] = {"argv": list(argv), **more}
    if env is not None:
        job["env"] = dict(env)
    if cwd is not None:
        job["cwd"] = str(cwd)
    return job


class Launched:
    """A `signoff` the launcher started and left running: signalled directly, and polled and
    waited for through the launcher, whose child it is (the subprocess.Popen calls tests use)."""

    def __init__(self, launcher: Launcher, pid: object, args: list[str]) -> None:
        assert isinstance(pid, int)
        self.launcher, self.pid, self.args = launcher, pid, args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self._reap(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._reap(3600 if timeout is None else timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 3600)
        return code

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # once reaped, its PID may be another process's
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _reap(self, timeout: float) -> int | None:
        if self.returncode is None:
            code = self.launcher._ask({"wait": self.pid, "timeout": timeout})
            self.returncode = code if isinstance(code, int) else None
        return self.returncode
