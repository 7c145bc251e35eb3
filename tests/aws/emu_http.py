"""HTTP front of the fake sign-in host, the fake console and the test-control routes.

One ThreadingHTTPServer serves both host names; the Host header tells which name
the client used. Only `getSigninToken` and `/_stub/*` answer on any name: the
native host calls getSigninToken from outside the browser, where the test names
do not resolve, so it may use 127.0.0.1:PORT. Pages that set or read the console
cookie insist on the right name, as cookies depend on it.
"""

from __future__ import annotations

import ast
import http.cookies
import ipaddress
import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import emu_faults
import emu_moto
import emu_totp
import emu_pages
import emu_saml
from emu_federation import Federation, Refused

log = logging.getLogger("awsemu.http")

COOKIE = "aws-session"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def cookie_domain(console_host: str) -> str | None:
    """Domain attribute for the session cookie: the console host's parent domain,
    so a cookie set by signin.X is sent to console.X. None means host-only."""
    if _is_ip(console_host):
        return None
    labels = console_host.split(".")
    if len(labels) >= 3:
        return ".".join(labels[1:])
    # `fakeaws.test`: its parent would be a bare TLD, which browsers refuse.
    return console_host if len(labels) == 2 else None


def parse_session(raw: str) -> dict:
    """The Session parameter is JSON. Some tools (awsume) send a Python dict repr
    with single quotes, which AWS accepts too, so accept a literal dict as well."""
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise Refused("Session is not valid JSON") from None
    if not isinstance(value, dict):
        raise Refused("Session must be a JSON object")
    return value


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, federation: Federation, signin_host: str, console_host: str,
        idp_host: str = "idp.fakeaws.test",
    ):
        super().__init__(("127.0.0.1", 0), Handler)
        self.federation = federation
        self.signin_host = signin_host.lower()
        self.console_host = console_host.lower()
        self.idp_host = idp_host.lower()
        self.idp = emu_saml.Idp({})  # awsemu gives it the seeded roles
        self.faults = emu_faults.Faults("")  # awsemu gives it the one moto uses too
        self.port = self.server_address[1]
        self.cookie_domain = cookie_domain(self.console_host)

    def console_origin(self) -> str:
        return f"http://{self.console_host}:{self.port}"

    def signin_origin(self) -> str:
        return f"http://{self.signin_host}:{self.port}"

    def idp_origin(self) -> str:
        return f"http://{self.idp_host}:{self.port}"


class Handler(BaseHTTPRequestHandler):
    server: StubServer
    server_version = "awsemu"

    # --- plumbing ------------------------------------------------------------

    def log_request(self, code="-", size="-") -> None:
        # The query holds credentials and sign-in tokens: log the path only.
        log.info("%s %s %s -> %s", self._host(), self.command, urlsplit(self.path).path, code)

    def log_message(self, format, *args) -> None:  # noqa: A002 (stdlib signature)
        log.info(format, *args)

    def _host(self) -> str:
        host = self.headers.get("Host", "127.0.0.1")
        return urlsplit(f"//{host}").hostname or ""

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _text(self, status: int, message: str) -> None:
        self._send(status, (message + "\n").encode(), "text/plain; charset=utf-8")

    def _html(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self._send(status, body, "text/html; charset=utf-8", headers)

    def _params(self) -> dict[str, str]:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
                query.update(parse_qs(body, keep_blank_values=True))
        return {k: v[0] for k, v in query.items()}

    def _cookie(self) -> str | None:
        jar = http.cookies.SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except http.cookies.CookieError:
            return None
        morsel = jar.get(COOKIE)
        return morsel.value if morsel else None

    def _set_cookie(self, value: str, clear: bool = False) -> str:
        parts = [f"{COOKIE}={value}"]
        if self.server.cookie_domain:
            parts.append(f"Domain={self.server.cookie_domain}")
        parts += ["Path=/", "HttpOnly"]
        if clear:
            parts.append("Max-Age=0")
        return "; ".join(parts)

    # --- routing -------------------------------------------------------------

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path.startswith("/_stub/"):
                return self._control(path)
            if path == "/federation":
                return self._federation()
            if path in ("/oauth", "/logout!doLogout"):
                return self._logout()
            if path == emu_saml.IDP_PATH and self._host() == self.server.idp_host:
                return self._idp_sign_on()
            if path == "/saml" and self.command == "POST" and self._host() == self.server.signin_host:
                return self._saml_chooser()
            # Like the real console host, every other path on it is a console page.
            if self._host() == self.server.console_host:
                return self._console()
            self._text(404, f"no such page: {path}")
        except Exception:  # a stub bug must show as a 500, not a dropped connection
            log.exception("handler failed")
            self._text(500, "internal error in awsemu (see its stderr)")

    def _control(self, path: str) -> None:
        fed = self.server.federation
        if path == "/_stub/issued" and self.command == "GET":
            return self._json(200, {"credentials": [i.to_json() for i in emu_moto.all_issued()]})
        if path == "/_stub/requests" and self.command == "GET":
            return self._json(200, {"requests": fed.requests_snapshot()})
        if path == "/_stub/totp" and self.command == "GET":
            serial = self._params().get("serial", "")
            device = emu_moto.virtual_mfa_device(serial)
            if device is None:
                return self._json(404, {"error": f"no virtual MFA device {serial}"})
            return self._json(200, {"code": emu_totp.code(device.base32_string_seed)})
        if path == "/_stub/saml/issue" and self.command == "GET":
            # What the IdP page would post, for clients that cannot load the page.
            return self._json(200, {"saml_response": self.server.idp.issue(self._params())})
        if path == "/_stub/saml/responses" and self.command == "GET":
            return self._json(200, {"responses": self.server.idp.snapshot()})
        if path == "/_stub/faults" and self.command == "POST":
            params = self._params()
            try:
                count = int(params.get("count", "1"))
                retry_after = int(params["retry_after"]) if params.get("retry_after") else None
                armed = self.server.faults.arm(
                    params.get("target", ""), params.get("fault", ""), count, retry_after
                )
            except (ValueError, emu_faults.BadFault) as err:
                return self._text(400, str(err))
            return self._json(200, armed)
        if path == "/_stub/faults/clear" and self.command == "POST":
            self.server.faults.clear()
            return self._json(200, {"cleared": True})
        if path == "/_stub/attempts" and self.command == "GET":
            return self._json(200, {"attempts": self.server.faults.attempts()})
        if path == "/_stub/advance" and self.command == "POST":
            try:
                seconds = float(self._params().get("seconds", ""))
            except ValueError:
                return self._text(400, "seconds=N required")
            now = fed.clock.advance(seconds)
            return self._json(200, {"now": now})
        self._text(404, f"no such control route: {self.command} {path}")

    # --- federation endpoint ---------------------------------------------------

    def _federation(self) -> None:
        params = self._params()
        action = params.get("Action", "")
        entry = {
            "time": self.server.federation.clock.now(),
            "action": action,
            "method": self.command,
            "host": self._host(),
            "session_duration_present": "SessionDuration" in params,
            "session_duration": params.get("SessionDuration"),
        }
        fault = None
        if action == "getSigninToken":
            fault = self.server.faults.on_call(emu_faults.FEDERATION, self.headers.get("User-Agent", ""))
        if fault is not None:
            entry["outcome"] = f"fault: {fault.kind}"
            respond = lambda: self._fault(fault)  # noqa: E731
        elif action == "getSigninToken":
            respond = self._get_signin_token(params, entry)
        elif action == "login" and self.command == "GET":
            respond = self._login(params, entry)
        else:
            entry["outcome"] = "unknown action"
            respond = lambda: self._text(400, f"unsupported Action: {action!r}")  # noqa: E731
        # Record before answering: a client that reads /_stub/requests right after
        # its answer must find its request there.
        self.server.federation.record(entry)
        respond()

    def _fault(self, fault) -> None:
        if fault.kind == "hang":
            self.server.faults.hang()
            return self._text(503, "Service Unavailable")
        self._send(fault.status, (fault.message + "\n").encode(), "text/plain; charset=utf-8", fault.headers)

    def _get_signin_token(self, params: dict, entry: dict):
        try:
            if "Session" not in params:
                raise Refused("Session parameter is required")
            token, identity = self.server.federation.get_signin_token(
                parse_session(params["Session"]), params.get("SessionDuration")
            )
        except Refused as refusal:
            message = str(refusal)  # `refusal` itself is unbound after the except block
            entry["outcome"] = f"refused: {message}"
            return lambda: self._text(400, message)
        entry.update(outcome="ok", kind=identity.kind, chained=identity.chained, arn=identity.arn)
        return lambda: self._json(200, {"SigninToken": token})

    def _login(self, params: dict, entry: dict):
        destination = params.get("Destination", "")
        entry.update(issuer=params.get("Issuer"), destination=destination)
        try:
            if self._host() != self.server.signin_host:
                raise Refused(f"login must be opened on {self.server.signin_host}")
            self._check_destination(destination)
            session_id, session = self.server.federation.login(params.get("SigninToken", ""))
        except Refused as refusal:
            message = str(refusal)
            entry["outcome"] = f"refused: {message}"
            return lambda: self._html(400, emu_pages.error(message))
        entry.update(outcome="ok", arn=session.arn)

        def redirect() -> None:
            self.send_response(302)
            self.send_header("Location", destination)
            self.send_header("Set-Cookie", self._set_cookie(session_id))
            self.send_header("Content-Length", "0")
            self.end_headers()

        return redirect

    def _check_destination(self, destination: str) -> None:
        """Never redirect off the console: a profile or a message must not be able
        to choose where a fresh console session lands (see aws.md)."""
        url = urlsplit(destination)
        try:
            port = url.port
        except ValueError:
            port = None
        host = (url.hostname or "").lower()
        console = self.server.console_host
        on_console = host == console or (not _is_ip(console) and host.endswith("." + console))
        if url.scheme != "http" or not on_console or port != self.server.port:
            raise Refused(f"Destination must be on {self.server.console_origin()}")

    def _logout(self) -> None:
        if urlsplit(self.path).path == "/oauth" and self._params().get("Action") != "logout":
            return self._text(400, "unsupported Action")
        ended = self.server.federation.logout(self._cookie())
        # Recorded with the session it ended, so a test can tell whose cookie came.
        self.server.federation.record({
            "time": self.server.federation.clock.now(),
            "action": "logout",
            "method": self.command,
            "host": self._host(),
            "outcome": "ok" if ended else "no session",
            "arn": ended.arn if ended else None,
        })
        self._html(
            200, emu_pages.signed_out("logged out"), {"Set-Cookie": self._set_cookie("", clear=True)}
        )

    # --- SAML: the stub identity provider and AWS's /saml role chooser ----------------

    def _idp_sign_on(self) -> None:
        response = self.server.idp.issue(self._params())
        self._html(200, emu_saml.idp_page(f"{self.server.signin_origin()}/saml", response))

    def _saml_chooser(self) -> None:
        try:
            pairs = emu_saml.read(self._params().get("SAMLResponse", "")).pairs
        except emu_saml.Invalid as err:
            return self._html(400, emu_pages.error(str(err)))
        self._html(200, emu_saml.chooser_page(pairs))

    # --- fake console ----------------------------------------------------------

    def _console(self) -> None:
        if self._host() != self.server.console_host:
            return self._text(404, f"the console is served on {self.server.console_host}")
        session, reason = self.server.federation.console_session(self._cookie())
        if session is None:
            # 403 so plain HTTP tests can tell signed-out from signed-in at a glance.
            return self._html(403, emu_pages.signed_out(reason))
        logout = f"{self.server.signin_origin()}/oauth?Action=logout"
        self._html(200, emu_pages.console(session, self.path, logout))
