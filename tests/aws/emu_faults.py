"""Faults on purpose: STS (served by moto) and getSigninToken answer errors, or never answer,
for the next N calls, and every attempt is counted so tests can assert how many were made.

    POST /_stub/faults?target=T&fault=F&count=N[&retry_after=S]   (on the stub's port)
    POST /_stub/faults/clear                                       every fault off, hung calls released
    GET  /_stub/attempts                                           {"attempts": {"AssumeRole": 3, ...}}

`target` is an STS action (`AssumeRole`, `GetSessionToken`, `GetFederationToken`,
`AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`, `GetCallerIdentity`), `sts` (any of them),
or `getSigninToken` (the federation endpoint). `count=-1` means every call until cleared.

STS faults answer in STS's own query-protocol error shape (`<ErrorResponse><Error>`), which
botocore and the Rust SDK parse; `test_faults.py` checks that with boto3:

| fault | STS | getSigninToken |
| --- | --- | --- |
| `throttling` | 400 `Throttling` "Rate exceeded" (what STS sends) | 400 "Rate exceeded" |
| `too_many_requests` | 429 `TooManyRequestsException` | 429 "Too many requests" |
| `internal` | 500 `InternalFailure` | 500 |
| `unavailable` | 503 `ServiceUnavailable` | 503 |
| `hang` | no answer until `/_stub/faults/clear` (or 10 minutes) | same |

`retry_after=S` adds `Retry-After: S` to error answers. Calls that carry the stub's own
User-Agent (awsemu's GetCallerIdentity check and the SSO stub's AssumeRole) are neither
faulted nor counted.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

STS_ACTIONS = {
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
}
FEDERATION = "getSigninToken"
HANG_LIMIT = 600  # seconds a hung call waits at most, so a forgotten fault cannot wedge a run

# fault -> (status, STS error code, message)
SHAPES = {
    "throttling": (400, "Throttling", "Rate exceeded"),
    "too_many_requests": (429, "TooManyRequestsException", "Too many requests"),
    "internal": (500, "InternalFailure", "An internal error occurred (injected by the test)"),
    "unavailable": (503, "ServiceUnavailable", "Service unavailable (injected by the test)"),
}
FAULTS = (*SHAPES, "hang")


class BadFault(ValueError):
    """A control request that names an unknown target or fault."""


@dataclass
class Fault:
    kind: str
    remaining: int  # -1: every call
    retry_after: int | None


@dataclass
class Answer:
    """What a faulted call gets: an error (status, code, message, headers), or a hang."""

    kind: str
    status: int = 0
    code: str = ""
    message: str = ""
    headers: dict | None = None


class Faults:
    """Armed faults and attempt counts; thread-safe."""

    def __init__(self, stub_user_agent: str) -> None:
        self.stub_user_agent = stub_user_agent
        self._lock = threading.Lock()
        self._armed: dict[str, Fault] = {}
        self._attempts: dict[str, int] = {}
        self._release = threading.Event()

    def arm(self, target: str, kind: str, count: int, retry_after: int | None) -> dict:
        if target not in STS_ACTIONS and target not in ("sts", FEDERATION):
            raise BadFault(f"unknown target {target!r}: an STS action, `sts` or `{FEDERATION}`")
        if kind not in FAULTS:
            raise BadFault(f"unknown fault {kind!r}: one of {', '.join(FAULTS)}")
        with self._lock:
            self._release.clear()
            self._armed[target] = Fault(kind, count, retry_after)
        return {"target": target, "fault": kind, "count": count}

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._release.set()

    def attempts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._attempts)

    def on_call(self, target: str, user_agent: str) -> Answer | None:
        """Counts the call; the fault it gets, if one is armed for it."""
        if self.stub_user_agent and self.stub_user_agent in user_agent:
            return None
        with self._lock:
            self._attempts[target] = self._attempts.get(target, 0) + 1
            keys = [target, "sts"] if target in STS_ACTIONS else [target]
            fault = next((self._armed[k] for k in keys if k in self._armed), None)
            if fault is None or fault.remaining == 0:
                return None
            if fault.remaining > 0:
                fault.remaining -= 1
        if fault.kind == "hang":
            return Answer("hang")
        status, code, message = SHAPES[fault.kind]
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return Answer(fault.kind, status, code, message, headers)

    def hang(self) -> None:
        self._release.wait(HANG_LIMIT)


def sts_error_body(code: str, message: str) -> bytes:
    kind = "Receiver" if code in ("InternalFailure", "ServiceUnavailable") else "Sender"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        "<RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
    ).encode()


def _sts_action(environ: dict) -> tuple[str | None, bytes]:
    """The STS action of a moto request (query protocol: in the form body or the query), and
    the body it read (put back for moto)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    form = parse_qs(body.decode("utf-8", "replace"))
    query = parse_qs(environ.get("QUERY_STRING", ""))
    action = (form.get("Action") or query.get("Action") or [None])[0]
    return (action if action in STS_ACTIONS else None), body


def install(faults: Faults) -> None:
    """Puts the faults in front of moto's WSGI application (every ThreadedMotoServer after)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        action, body = _sts_action(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        answer = faults.on_call(action, environ.get("HTTP_USER_AGENT", "")) if action else None
        if answer is None:
            return original(self, environ, start_response)
        if answer.kind == "hang":
            faults.hang()
            answer = Answer("unavailable", *SHAPES["unavailable"])
        payload = sts_error_body(answer.code, answer.message)
        reason = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error",
                  503: "Service Unavailable"}[answer.status]
        headers = [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))]
        headers += list((answer.headers or {}).items())
        start_response(f"{answer.status} {reason}", headers)
        return [payload]

    DomainDispatcherApplication.__call__ = __call__
