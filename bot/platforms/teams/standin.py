"""A stand-in for Microsoft's side of a Teams bot, on loopback, for the tests and for
`signoff demo --platform teams`:

- the Bot Connector (`{serviceUrl}/v3/conversations...`): creates 1:1 conversations with people
  the app is installed for, takes activities (cards) and updates to them, names a
  conversation's members, and records every call and activity so that they can be read back
  and their buttons pressed;
- Bot Framework's OpenID metadata and signing keys, with a key this stand-in owns, so that the
  activities the simulator signs are checked by signoff exactly as Microsoft's are;
- the token endpoint where signoff gets its own token (client credentials).

It answers as Teams does where it matters: a conversation with someone who has not installed the
app is refused (403), an unknown conversation is 404, a call without the token it issued is 401;
and it can be told to fail (429 with Retry-After, 500) for the retry paths.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://api.botframework.com"
APP_ID = "6f1c0d2a-8a3e-4c3e-9a1b-5d2f0c7e9b11"
TENANT_ID = "9e2c6a6e-1f0b-4c55-8d7a-0f2b3c4d5e6f"
CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class TeamsUser:
    aad_id: str
    email: str
    name: str
    installed: bool = False  # the app is installed for them (personal scope)

    @property
    def id(self) -> str:
        """Their Teams user id, as Bot Framework gives it."""
        return f"29:{self.aad_id}"

    @property
    def conversation(self) -> str:
        """The 1:1 conversation with the bot, once the app is installed for them."""
        return f"a:{self.aad_id}"


@dataclass
class Activity:
    conversation: str
    id: str
    body: dict[str, Any]
    reply_to: str | None = None
    edited: int = 0

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                return attachment["content"]
        return None

    @property
    def text(self) -> str:
        return self.body.get("text") or ""

    def words(self) -> str:
        """Everything it says, to search in."""
        return self.text + " " + json.dumps(self.card or {}, ensure_ascii=False)

    @property
    def outbox_key(self) -> str | None:
        return ((self.body.get("channelData") or {}).get("signoff") or {}).get("outbox_key")


@dataclass
class Call:
    method: str
    path: str
    body: Any
    at: float


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int | None = None


@dataclass
class BotConnectorStandin:
    users: list[TeamsUser] = field(default_factory=list)
    app_id: str = APP_ID
    tenant_id: str = TENANT_ID
    channels: dict[str, str] = field(default_factory=dict)  # conversation id -> team name

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.calls: list[Call] = []
        self.activities: list[Activity] = []
        self.tokens: set[str] = set()
        self._failures: dict[str, _Failure] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # --- running ------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._serve(self, "GET")

            def do_POST(self) -> None:
                standin._serve(self, "POST")

            def do_PUT(self) -> None:
                standin._serve(self, "PUT")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def service_url(self) -> str:
        """The Bot Connector's root, as Teams gives it in each activity."""
        return self.base_url + "/teams/"

    @property
    def openid_metadata_url(self) -> str:
        return self.base_url + "/v1/.well-known/openidconfiguration"

    @property
    def login_url(self) -> str:
        return self.base_url + "/login"

    def settings(self) -> dict[str, str]:
        """The settings that point signoff at this stand-in."""
        return {
            "TEAMS_APP_ID": self.app_id,
            "TEAMS_APP_PASSWORD": "stand-in-secret",
            "TEAMS_TENANT_ID": self.tenant_id,
            "TEAMS_OPENID_METADATA_URL": self.openid_metadata_url,
            "TEAMS_LOGIN_URL": self.login_url,
            "TEAMS_SERVICE_URL": self.service_url,
        }

    # --- what tests ask -----------------------------------------------------------------

    def sign(self, claims: dict[str, Any], *, key: Any = None, kid: str | None = None) -> str:
        """A token signed by this stand-in's key (or another, for a forged one)."""
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def token_for(
        self, now: datetime, *, audience: str | None = None, lifetime: timedelta | None = None
    ) -> str:
        """What Bot Framework sends with an activity: issued now, for this app, an hour long."""
        lifetime = lifetime if lifetime is not None else timedelta(hours=1)
        return self.sign(
            {
                "iss": ISSUER,
                "aud": audience or self.app_id,
                "iat": int((now - timedelta(minutes=1)).timestamp()),
                "nbf": int((now - timedelta(minutes=1)).timestamp()),
                "exp": int((now + lifetime).timestamp()),
                "serviceurl": self.service_url,
            }
        )

    def user(self, who: str) -> TeamsUser:
        found = next((u for u in self.users if who in (u.email, u.aad_id, u.id, u.name)), None)
        assert found is not None, f"no Teams user {who}"
        return found

    def fail(self, method: str, *, status: int = 500, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls of `method` (create, send, update) fail with `status`."""
        with self._lock:
            self._failures[method] = _Failure(status, times, retry_after or None)

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def in_conversation(self, conversation: str) -> list[Activity]:
        with self._lock:
            return [a for a in self.activities if a.conversation == conversation]

    def to(self, who: str) -> list[Activity]:
        """What the bot wrote to one person, in their 1:1 conversation."""
        return self.in_conversation(self.user(who).conversation)

    def posted_keys(self) -> list[str]:
        with self._lock:
            return [a.outbox_key or "" for a in self.activities if a.reply_to is None]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
            time.sleep(0.02)

    # --- the wire -----------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler, verb: str) -> None:
        path = urlparse(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        content_type = request.headers.get("Content-Type", "")
        body: Any = raw.decode() if raw else None
        if raw and "json" in content_type:
            body = json.loads(raw)
        if verb == "GET" and path.endswith("/.well-known/openidconfiguration"):
            return self._reply(request, 200, self._metadata())
        if verb == "GET" and path.endswith("/.well-known/keys"):
            return self._reply(request, 200, self._keys())
        if verb == "POST" and re.fullmatch(r"/login/[^/]+/oauth2/v2\.0/token", path):
            return self._reply(request, 200, self._issue(body or ""))
        match = re.fullmatch(
            r"/teams/v3/conversations(?:/([^/]+)(?:/(activities|members)(?:/([^/]+))?)?)?", path
        )
        if match is None:
            return self._reply(request, 404, {"error": {"code": "NotFound", "message": path}})
        conversation, what, item = (unquote(g) if g else g for g in match.groups())
        method = {
            ("POST", None): "create",
            ("POST", "activities"): "send",
            ("PUT", "activities"): "update",
            ("GET", "members"): "member",
        }.get((verb, what), "unknown")
        with self._lock:
            self.calls.append(Call(method, path, body, time.time()))
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in self.tokens:
                return self._reply(request, 401, _error("Unauthorized", "no valid token"))
            failure = self._failures.get(method)
            if failure is not None and failure.remaining > 0:
                failure.remaining -= 1
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                return self._reply(request, failure.status, _error("Busy", "try later"), headers)
            status, result = getattr(self, f"_api_{method}", self._api_unknown)(
                conversation, item, body or {}
            )
        self._reply(request, status, result)

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        result: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(result).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _metadata(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": self.login_url,
            "jwks_uri": self.base_url + "/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def _keys(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}]}

    def _issue(self, form: str) -> dict[str, Any]:
        from urllib.parse import parse_qs

        fields = {k: v[-1] for k, v in parse_qs(form).items()}
        if fields.get("client_id") != self.app_id or not fields.get("client_secret"):
            return {"error": "invalid_client"}
        token = f"standin-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens.add(token)
        return {"token_type": "Bearer", "expires_in": 3599, "access_token": token}

    # --- the Bot Connector --------------------------------------------------------------

    def _api_unknown(self, *args: Any) -> tuple[int, Any]:
        return 405, _error("MethodNotAllowed", "not supported")

    def _known(self, conversation: str) -> bool:
        if conversation in self.channels:
            return True
        return any(u.installed and u.conversation == conversation for u in self.users)

    def _api_create(self, conversation: Any, item: Any, body: dict[str, Any]) -> tuple[int, Any]:
        members = body.get("members") or []
        wanted = members[0].get("id", "") if members else ""
        user = next((u for u in self.users if wanted in (u.id, u.aad_id)), None)
        if user is None:
            return 404, _error("NotFound", "user not found")
        if not user.installed:
            return 403, _error("Forbidden", "The bot is not part of the conversation roster.")
        return 201, {"id": user.conversation}

    def _api_send(self, conversation: str, reply_to: str | None, body: dict[str, Any]) -> Any:
        if not self._known(conversation):
            return 404, _error("ConversationNotFound", "Conversation not found.")
        if not body.get("text") and not body.get("attachments"):
            return 400, _error("BadArgument", "Activity has no text and no attachments.")
        size = len(json.dumps(body.get("attachments") or []).encode())
        if size > 28 * 1024:
            return 413, _error("MessageSizeTooBig", "Message size too big.")
        activity = Activity(conversation, f"1{next(self._ids):012d}", body, reply_to)
        self.activities.append(activity)
        return 201, {"id": activity.id}

    def _api_update(self, conversation: str, activity_id: str, body: dict[str, Any]) -> Any:
        for activity in self.activities:
            if activity.conversation == conversation and activity.id == activity_id:
                activity.body = {**body, "channelData": activity.body.get("channelData")}
                activity.edited += 1
                return 200, {"id": activity.id}
        return 404, _error("ActivityNotFound", "Activity not found.")

    def _api_member(self, conversation: str, member: str, body: Any) -> tuple[int, Any]:
        user = next((u for u in self.users if member in (u.id, u.aad_id)), None)
        if user is None or not self._known(conversation):
            return 404, _error("MemberNotFound", "The member is not in the conversation.")
        return 200, {
            "id": user.id,
            "name": user.name,
            "aadObjectId": user.aad_id,
            "email": user.email,
            "userPrincipalName": user.email,
            "tenantId": self.tenant_id,
            "userRole": "user",
        }

    def __enter__(self) -> BotConnectorStandin:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
