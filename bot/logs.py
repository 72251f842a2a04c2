"""Logs that say what they are about: each line carries the Slack event or action, the review and
the outbox key it concerns, from context variables set where the work starts (a request from
Slack, a delivery, a job). JSON with SIGNOFF_LOG_FORMAT=json, one object a line.

Nothing here logs a payload: ids and names only, never a token, a secret or a message's text."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import MappingProxyType
from typing import Any

# Never changed in place: each change sets a new mapping.
_FIELDS: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "signoff_log_fields", default=MappingProxyType({})
)
# The order fields appear in a text line; JSON carries the same names.
FIELDS = ("slack_kind", "slack_event", "slack_action", "review", "outbox_key", "job")


def fields() -> dict[str, Any]:
    return dict(_FIELDS.get())


def set_fields(**values: Any) -> None:
    """Add to this context's fields: for a Bolt middleware, whose context ends with the request
    (see `in_own_context`)."""
    _FIELDS.set({**_FIELDS.get(), **{k: v for k, v in values.items() if v is not None}})


@contextlib.contextmanager
def bound(**values: Any) -> Iterator[None]:
    """These fields on every line logged inside the block."""
    token = _FIELDS.set({**_FIELDS.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _FIELDS.reset(token)


def in_own_context(fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn` in a copy of the current context, so that what it sets ends with it."""
    return contextvars.copy_context().run(fn, *args)


# Listeners of requests already acknowledged, held back until the HTTP response has gone out
# (see hold_listeners); None where nothing holds them.
_HELD: contextvars.ContextVar[list[tuple[Any, ...]] | None] = contextvars.ContextVar(
    "held_listeners", default=None
)
_ACKED: contextvars.ContextVar[bool] = contextvars.ContextVar("acked_first", default=False)


def acked_first() -> None:
    """Say, from a Bolt middleware, that this request's ack does not wait for its listener: the
    listener may then be held until the response has been sent."""
    _ACKED.set(True)


def hold_listeners() -> tuple[list[tuple[Any, ...]], contextvars.Token[Any]]:
    """Hold the listeners of acknowledged requests submitted from here on, until `release`.

    On a machine of few cores a listener that starts at once takes the interpreter from the
    thread still writing the ack, and the ack waits behind the listener's work."""
    held: list[tuple[Any, ...]] = []
    return held, _HELD.set(held)


def stop_holding(token: contextvars.Token[Any]) -> None:
    _HELD.reset(token)


def release(held: list[tuple[Any, ...]], *, pause: float = 0.0) -> None:
    """Start what was held, in the order it came, each after `pause` seconds on its thread."""
    for executor, context, fn, args, kwargs, placeholder in held:
        started = ThreadPoolExecutor.submit(
            executor, _after, pause, context.run, fn, *args, **kwargs
        )
        started.add_done_callback(functools.partial(_settle, placeholder))
    held.clear()


def _after(pause: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    if pause:
        time.sleep(pause)
    return fn(*args, **kwargs)


def _settle(placeholder: Future[Any], done: Future[Any]) -> None:
    error = done.exception()
    if error is not None:
        placeholder.set_exception(error)
    else:
        placeholder.set_result(done.result())


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks see the context of whoever submitted them: Bolt runs listeners
    on one, after the middleware has set the request's fields. A listener of an acknowledged
    request is held while hold_listeners says so."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        held = _HELD.get()
        if held is not None and _ACKED.get():
            placeholder: Future[Any] = Future()
            held.append((self, contextvars.copy_context(), fn, args, kwargs, placeholder))
            return placeholder
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class ContextFilter(logging.Filter):
    """Puts the context's fields on each record: as attributes (JSON writes each one that is
    set) and as `context`, the text a plain line ends with."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _FIELDS.get()
        present = [name for name in FIELDS if current.get(name) is not None]
        for name in present:
            if not hasattr(record, name):
                setattr(record, name, current[name])
        record.context = " ".join(f"{name}={current[name]}" for name in present)
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "context", "")
        if not context:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first}  [{context}]{newline}{rest}"


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    # The context's fields are the record's extra attributes, written after these.
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*_RESERVED, "context"],
        json_default=str,
    )


_RESERVED = [
    *("args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName"),
    *("levelname", "levelno", "lineno", "module", "msecs", "message", "msg", "name"),
    *("pathname", "process", "processName", "relativeCreated", "stack_info", "thread"),
    *("threadName", "taskName"),
]


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard error as it is when a line is written, not as it was when logging was set up:
    a command run in-process (the tests, the demo) may have replaced it since."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure(level: str = "INFO", form: str = "text") -> None:
    """Send every logger's lines to standard error, as text or JSON, with the context fields."""
    handler = _Stderr()
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter() if form == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level, logging.INFO))
    # The Slack SDK logs request bodies and headers at DEBUG: never below INFO for it.
    for noisy in ("slack_sdk", "slack_bolt", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    # APScheduler says so at every beat; signoff's own lines say what the beat did.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
