"""A stand-in for Slack's Web API on loopback, for the tests and for `signoff demo`.

It answers the methods signoff calls the way Slack does, keeps the messages, modals and Home
tabs it was given so that they can be read back and clicked, and records every call. It can be
told to fail (429 with Retry-After, 500, a dropped connection) to exercise the retry handlers.
`apps.connections.open` hands out its Socket Mode end (bot/platforms/slack/socket_standin.py).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from bot.platforms.slack.socket_standin import SocketModeStandin

UPLOADS = "/upload/v1/"


@dataclass
class SlackUser:
    id: str
    email: str
    name: str
    deleted: bool = False


@dataclass
class SlackChannel:
    """A channel as Slack sees it from signoff's side: whether signoff was invited, whether
    it is private (then Slack will not even say it exists to an app not in it) or archived."""

    id: str
    name: str
    private: bool = False
    archived: bool = False
    bot_member: bool = True


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    # 429 where the stand-in refused it over the method's rate limit, so that a caller's
    # waiting out of Retry-After can be checked from the record.
    status: int = 200


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str | None = None  # None: posted by the bot
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    ephemeral_to: str | None = None
    edited: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)  # shared with the message


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    remaining: int
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackStandin:
    users: list[SlackUser] = field(default_factory=list)
    # Channels declared here answer as Slack would for their membership and state; any other
    # channel takes whatever is posted to it.
    channels: list[SlackChannel] = field(default_factory=list)
    bot_user_id: str = "UBOT"
    team_id: str = "T0SIGNOFF"
    # User groups (S...) and channels' members (C...), as usergroups.users.list and
    # conversations.members answer them, a page at a time.
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    channel_members: dict[str, list[str]] = field(default_factory=dict)
    # Slack answers a user group whole; set this to have the stand-in page it as well, so that
    # following a cursor is shown to work for both.
    usergroup_page: int | None = None

    def __post_init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view (with trigger and user)
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> published Home view
        # Files uploaded (files.upload v2): id -> name, title, alt text, length, bytes.
        self.files: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, _Failure] = {}
        self._used_triggers: set[str] = set()  # a trigger_id works once, as on Slack
        self._delays: dict[str, float] = {}
        self._limits: dict[str, tuple[float, int]] = {}  # method -> (per second, Retry-After)
        self._recent: dict[str, list[float]] = {}  # method -> when recent calls were taken
        self.rate_limited = 0  # how many calls were answered 429
        self._lock = threading.RLock()
        self._clock = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.socket_mode = SocketModeStandin()

    # --- running ------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._serve(self)

            def do_POST(self) -> None:
                standin._serve(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def stop(self) -> None:
        self.socket_mode.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStandin:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests ask -----------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        **extra: Any,
    ) -> None:
        """Make the next `times` calls of `method` fail with `status` (or an `ok: false` error
        with status 200 when `error` is given, with `extra` fields such as `needed`)."""
        with self._lock:
            self._failures[method] = _Failure(status, retry_after, times, error, extra)

    def rate_limit(self, method: str, per_second: float, *, retry_after: int = 1) -> None:
        """Answer `method` with 429 and Retry-After once more than `per_second` calls came in
        the last second, as Slack does past a method's limit."""
        with self._lock:
            self._limits[method] = (per_second, retry_after)
            self._recent[method] = []

    def _over_limit(self, method: str) -> int | None:
        """The Retry-After to answer with when this call is over `method`'s limit."""
        if method not in self._limits:
            return None
        per_second, retry_after = self._limits[method]
        now = time.monotonic()
        recent = [at for at in self._recent[method] if now - at < 1.0]
        if len(recent) >= per_second:
            self._recent[method] = recent
            self.rate_limited += 1
            return retry_after
        self._recent[method] = [*recent, now]
        return None

    def channel(self, channel_id: str) -> SlackChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def delay(self, method: str, seconds: float) -> None:
        """Answer `method` only after `seconds`, having done what it asked: a post that is made
        but whose answer never reaches a process killed meanwhile."""
        with self._lock:
            self._delays[method] = seconds

    def posted_keys(self) -> list[str]:
        """The outbox keys carried by every message posted, in order (repeats included); a file
        shared as a message of its own counts as `file:<name>`."""
        with self._lock:
            return [
                f"file:{m.files[0]['name']}"
                if m.files and not m.metadata
                else ((m.metadata or {}).get("event_payload") or {}).get("outbox_key", "")
                for m in self.messages
                if m.ephemeral_to is None
            ]

    def user_by_email(self, email: str) -> SlackUser | None:
        return next((u for u in self.users if u.email.lower() == email.lower()), None)

    def dm_channel(self, user_id: str) -> str:
        return f"D{user_id}"

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages_in(self, channel: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.channel == channel and m.ephemeral_to is None]

    def dms_to(self, user_id: str) -> list[Message]:
        return self.messages_in(self.dm_channel(user_id))

    def ephemerals_to(self, user_id: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.ephemeral_to == user_id]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll until `predicate()` is truthy (listeners answer after their ack)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
            time.sleep(0.02)

    def open_view_for(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            views = [v for v in self.views.values() if v["_user"] == user_id and v["_open"]]
            return views[-1] if views else None

    # --- the Web API --------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlparse(request.path)
        method = url.path.rsplit("/", 1)[-1]
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if url.path.startswith(UPLOADS):
            self._upload(request, url.path.removeprefix(UPLOADS), body)
            return
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query).items()}
        content_type = request.headers.get("Content-Type", "")
        if body and "json" in content_type:
            args.update(json.loads(body))
        elif body:
            args.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        for key in ("blocks", "view", "metadata", "attachments"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(args[key])
        with self._lock:
            call = Call(method, args, time.time())
            self.calls.append(call)
            retry_after = self._over_limit(method)
            if retry_after is not None:
                call.status = 429
                request.send_response(429)
                request.send_header("Retry-After", str(retry_after))
                request.send_header("Content-Type", "application/json")
                request.end_headers()
                request.wfile.write(b'{"ok": false, "error": "ratelimited"}')
                return
            failure = self._failures.get(method)
            if failure is not None and failure.remaining > 0:
                failure.remaining -= 1
                if failure.error is None:
                    request.send_response(failure.status)
                    if failure.retry_after is not None:
                        request.send_header("Retry-After", str(failure.retry_after))
                    request.send_header("Content-Type", "application/json")
                    request.end_headers()
                    request.wfile.write(b'{"ok": false, "error": "ratelimited"}')
                    return
                self._reply(request, {"ok": False, "error": failure.error, **failure.extra})
                return
            handler = getattr(self, "_api_" + method.replace(".", "_"), None)
            result = {"ok": False, "error": "unknown_method"} if handler is None else handler(args)
            delay = self._delays.get(method, 0.0)
        if delay:
            time.sleep(delay)
        self._reply(request, result)

    def _upload(self, request: BaseHTTPRequestHandler, file_id: str, body: bytes) -> None:
        """The second step of files.upload v2: the file's bytes POSTed to the URL Slack gave."""
        with self._lock:
            self.calls.append(
                Call("upload", {"file_id": file_id, "length": len(body)}, time.time())
            )
            known = self.files.get(file_id)
            if known is not None and request.command == "POST":
                known["data"] = body
        status, text = (200, f"OK - {len(body)}") if known is not None else (404, "Not Found")
        data = text.encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, result: dict[str, Any]) -> None:
        data = json.dumps(result).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _ts(self) -> str:
        return f"{1_800_000_000 + next(self._clock)}.000100"

    def _channel_for(self, channel: str) -> str:
        # Posting to a user ID posts to the DM with that user, as Slack does.
        return self.dm_channel(channel) if channel.startswith(("U", "W")) else channel

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": self.bot_user_id,
            "team_id": self.team_id,
            "bot_id": "BSIGNOFF",
            "url": "https://signoff-demo.slack.com/",
        }

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_mode.url()}

    def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.user_by_email(args.get("email", ""))
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": self._user_json(user)}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = next((u for u in self.users if u.id == args.get("user")), None)
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user_json(user)}

    @staticmethod
    def _user_json(user: SlackUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "name": user.name,
            "real_name": user.name,
            "deleted": user.deleted,
            "profile": {"email": user.email, "real_name": user.name, "display_name": user.name},
        }

    def _api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        members = self.usergroups[group]
        if self.usergroup_page is None and not args.get("limit"):
            return {"ok": True, "users": list(members)}
        return self._page(args, members, "users", self.usergroup_page or 100)

    def _api_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(args.get("channel", ""))
        refusal = self._refusal(channel_id, reading=True)
        if refusal is not None:
            return refusal
        if channel_id not in self.channel_members:
            return {"ok": False, "error": "channel_not_found"}
        return self._page(args, self.channel_members[channel_id], "members", 100)

    @staticmethod
    def _page(args: dict[str, Any], items: list[str], key: str, default: int) -> dict[str, Any]:
        """One page of `items` from the cursor (an offset, as opaque to signoff as Slack's)."""
        cursor = str(args.get("cursor") or "")
        if cursor and not cursor.startswith("o"):
            return {"ok": False, "error": "invalid_cursor"}
        start = int(cursor[1:]) if cursor else 0
        limit = int(args.get("limit") or default)
        end = start + limit
        following = f"o{end}" if end < len(items) else ""
        return {"ok": True, key: items[start:end], "response_metadata": {"next_cursor": following}}

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", "")).split(",")
        return {"ok": True, "channel": {"id": self.dm_channel(users[0])}}

    def _refusal(self, channel_id: str, *, reading: bool = False) -> dict[str, Any] | None:
        """What Slack answers an app about a channel it may not use, or None."""
        channel = self.channel(channel_id)
        if channel is None:
            return None
        if channel.private and not channel.bot_member:
            return {"ok": False, "error": "channel_not_found"}
        if channel.archived and not reading:
            return {"ok": False, "error": "is_archived"}
        if not channel.bot_member:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(args.get("channel", ""))
        if channel_id.startswith("D"):
            return {"ok": True, "channel": {"id": channel_id, "is_im": True}}
        channel = self.channel(channel_id)
        if channel is None or (channel.private and not channel.bot_member):
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_channel": not channel.private,
                "is_private": channel.private,
                "is_archived": channel.archived,
                "is_member": channel.bot_member,
            },
        }

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        refusal = self._refusal(args["channel"])
        if refusal is not None:
            return refusal
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        message = Message(
            channel=self._channel_for(args["channel"]),
            ts=self._ts(),
            text=args.get("text", ""),
            blocks=args.get("blocks") or [],
            thread_ts=args.get("thread_ts"),
            metadata=args.get("metadata"),
        )
        self.messages.append(message)
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "message": {"text": message.text, "ts": message.ts},
        }

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(args.get("channel", ""))
        refusal = self._refusal(channel)
        if refusal is not None:
            return refusal
        for message in self.messages:
            if message.channel == channel and message.ts == args.get("ts"):
                message.text = args.get("text", message.text)
                message.blocks = args.get("blocks") or []
                message.edited += 1
                return {"ok": True, "channel": channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        message = Message(
            channel=self._channel_for(args.get("channel", "")),
            ts=self._ts(),
            text=args.get("text", ""),
            blocks=args.get("blocks") or [],
            ephemeral_to=args.get("user"),
            thread_ts=args.get("thread_ts"),
        )
        self.messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(args.get("channel", ""))
        refusal = self._refusal(channel, reading=True)
        if refusal is not None:
            return refusal
        found = [
            m
            for m in self.messages
            if m.channel == channel and m.ephemeral_to is None and m.thread_ts is None
        ]
        oldest = float(args.get("oldest") or 0)
        found = [m for m in found if float(m.ts) >= oldest]
        include = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        return {
            "ok": True,
            "has_more": False,
            "messages": [
                {
                    "type": "message",
                    "ts": m.ts,
                    "text": m.text,
                    "bot_id": "BSIGNOFF",
                    **({"metadata": m.metadata} if include and m.metadata else {}),
                    **({"files": m.files} if m.files else {}),
                }
                for m in reversed(found)
            ],
        }

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._clock):08d}"
        self.files[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "length": int(args["length"]),
            "alt_txt": args.get("alt_txt"),
            "data": None,
            "title": None,
        }
        root = self.base_url.removesuffix("/api/")
        return {"ok": True, "upload_url": f"{root}{UPLOADS}{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            wanted = json.loads(args.get("files") or "[]")
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        found = []
        for item in wanted:
            known = self.files.get(item.get("id", ""))
            if known is None or known["data"] is None or len(known["data"]) != known["length"]:
                return {"ok": False, "error": "file_not_found"}
            known["title"] = item.get("title") or known["name"]
            found.append(known)
        channel = args.get("channel_id") or args.get("channels")
        if channel:
            refusal = self._refusal(channel)
            if refusal is not None:
                return refusal
            shared = [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in found]
            self.messages.append(
                Message(
                    channel=self._channel_for(channel),
                    ts=self._ts(),
                    text=args.get("initial_comment") or "",
                    blocks=[],
                    thread_ts=args.get("thread_ts"),
                    files=shared,
                )
            )
        return {
            "ok": True,
            "files": [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in found],
        }

    def files_in(self, channel: str) -> list[dict[str, Any]]:
        """The files shared in a channel (or a DM), in order, with their bytes."""
        with self._lock:
            return [
                self.files[f["id"]]
                for m in self.messages
                if m.channel == self._channel_for(channel)
                for f in m.files
            ]

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = args.get("trigger_id", "")
        if not trigger or trigger in self._used_triggers:
            return {"ok": False, "error": "invalid_trigger_id"}
        self._used_triggers.add(trigger)
        view = dict(args.get("view") or {})
        view_id = f"V{next(self._clock):08d}"
        view.update(
            {"id": view_id, "_user": trigger.split(".")[-1], "_open": True, "hash": f"h{view_id}"}
        )
        self.views[view_id] = view
        return {"ok": True, "view": view}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        kept = {k: v for k, v in self.views[view_id].items() if k.startswith("_") or k == "id"}
        self.views[view_id] = {**(args.get("view") or {}), **kept}
        return {"ok": True, "view": self.views[view_id]}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = dict(args.get("view") or {})
        self.homes[args.get("user_id", "")] = view
        return {"ok": True, "view": view}
