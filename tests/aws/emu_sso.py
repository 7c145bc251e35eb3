"""Stub of IAM Identity Center: the SSO portal (`sso`) and SSO-OIDC (`sso-oidc`).

Both APIs are rest-json (botocore's service models `sso/2019-06-10` and
`sso-oidc/2019-06-10`, neither signed: `smithy.api#noAuth`), and their paths do not
collide, so one ThreadingHTTPServer on its own port serves both, plus the
test-control routes under `/_sso/`:

    portal   GET  /assignment/accounts      ListAccounts      (next_token, max_result)
             GET  /assignment/roles         ListAccountRoles  (account_id, next_token, max_result)
             GET  /federation/credentials   GetRoleCredentials (account_id, role_name)
             POST /logout                   Logout
             the bearer token is the `x-amz-sso_bearer_token` header
    oidc     POST /client/register          RegisterClient
             POST /device_authorization     StartDeviceAuthorization
             POST /token                    CreateToken (device_code, refresh_token grants)
    page     GET  /device?user_code=…       the verification page (approval is a control route)

Errors carry the shape name in `x-amzn-ErrorType` (and `__type` in the body), with
the model's members: `message` for the portal, `error` + `error_description` for OIDC.

Role credentials are real moto credentials: GetRoleCredentials calls moto's
AssumeRole into `arn:aws:iam::<account>:role/<role>`, so the federation stub accepts
them like any role session.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("awsemu.sso")

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
DEFAULT_PAGE = 20  # the portal's page size when max_result is not sent
MAX_PAGE = 100  # the models' range for maxResults
USER = "alice"  # the person who signs in to the portal


class ApiError(Exception):
    """An error shape of the service model: its name, HTTP status and message."""

    def __init__(self, shape: str, status: int, message: str, oauth_error: str | None = None):
        super().__init__(message)
        self.shape, self.status, self.message = shape, status, message
        self.oauth_error = oauth_error


def _oidc(shape: str, status: int, error: str, description: str) -> ApiError:
    return ApiError(shape, status, description, oauth_error=error)


@dataclass
class Client:
    client_id: str
    secret: str
    name: str
    scopes: list[str]
    issued_at: float
    expires_at: float


@dataclass
class DeviceAuth:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: float
    interval: int
    state: str = "pending"  # pending | approved | denied | used
    last_poll: float | None = None
    slow_downs: int = 0


@dataclass
class Token:
    start_url: str
    client_id: str
    expires_at: float
    scopes: list[str] = field(default_factory=list)


@dataclass
class Account:
    account_id: str
    name: str
    email: str
    roles: list[str]


def make_org(accounts: int, roles: int, first_id: int = 100000000001) -> list[Account]:
    names = ["AdministratorAccess", "ReadOnlyAccess", "Billing", "PowerUserAccess", "ViewOnly"]
    role_names = [names[i] if i < len(names) else f"Role{i}" for i in range(roles)]
    return [
        Account(f"{first_id + i:012d}", f"account-{i:04d}", f"aws+{i:04d}@example.com", list(role_names))
        for i in range(accounts)
    ]


class Sso:
    """State of the portal and the OIDC service; every method holds the lock."""

    def __init__(self, assume_role: Callable[[str, str, int], dict]):
        self.assume_role = assume_role  # (role_arn, session_name, seconds) -> moto Credentials
        self.lock = threading.Lock()
        self.offset = 0.0
        self.clients: dict[str, Client] = {}
        self.devices: dict[str, DeviceAuth] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}
        self.org: list[Account] = make_org(3, 2)
        self.interval = 1  # seconds, what AWS answers today
        self.device_ttl = 600
        self.token_ttl = 3600
        self.force_slow_down = 0  # the next N device-code polls answer SlowDownException
        self.rate_limit: float | None = None  # portal requests per second per token
        self.retry_after: int | None = None  # seconds sent in Retry-After with each 429
        self.fail_next = 0  # the next N portal calls answer 500 InternalServerException
        self.hits: dict[str, list[float]] = {}
        self.requests: list[dict] = []

    def now(self) -> float:
        return time.time() + self.offset

    # --- OIDC -------------------------------------------------------------------

    def register_client(self, body: dict) -> dict:
        name, ctype = body.get("clientName"), body.get("clientType")
        if not name or not ctype:
            raise _oidc("InvalidRequestException", 400, "invalid_request", "clientName and clientType are required")
        if ctype != "public":
            raise _oidc("InvalidClientMetadataException", 400, "invalid_client_metadata", "clientType must be public")
        now = self.now()
        client = Client(
            "cid-" + secrets.token_urlsafe(12), "csecret-" + secrets.token_urlsafe(24), name,
            list(body.get("scopes") or []), now, now + 90 * 86400,
        )
        self.clients[client.client_id] = client
        return {
            "clientId": client.client_id,
            "clientSecret": client.secret,
            "clientIdIssuedAt": int(client.issued_at),
            "clientSecretExpiresAt": int(client.expires_at),
        }

    def _client(self, body: dict) -> Client:
        client = self.clients.get(body.get("clientId") or "")
        if client is None or client.secret != body.get("clientSecret"):
            raise _oidc("InvalidClientException", 401, "invalid_client", "Invalid client credentials")
        if client.expires_at <= self.now():
            raise _oidc("InvalidClientException", 401, "invalid_client", "Client registration has expired")
        return client

    def start_device_authorization(self, body: dict, origin: str) -> dict:
        if not body.get("startUrl"):
            raise _oidc("InvalidRequestException", 400, "invalid_request", "startUrl is required")
        client = self._client(body)
        user_code = "-".join(secrets.token_hex(2).upper() for _ in range(2))
        auth = DeviceAuth(
            "dc-" + secrets.token_urlsafe(24), user_code, client.client_id, body["startUrl"],
            self.now() + self.device_ttl, self.interval,
        )
        self.devices[auth.device_code] = auth
        return {
            "deviceCode": auth.device_code,
            "userCode": auth.user_code,
            "verificationUri": f"{origin}/device",
            "verificationUriComplete": f"{origin}/device?user_code={auth.user_code}",
            "expiresIn": self.device_ttl,
            "interval": auth.interval,
        }

    def create_token(self, body: dict) -> dict:
        grant = body.get("grantType")
        if not grant:
            raise _oidc("InvalidRequestException", 400, "invalid_request", "grantType is required")
        client = self._client(body)
        if grant == DEVICE_GRANT:
            return self._device_grant(client, body)
        if grant == REFRESH_GRANT:
            return self._refresh_grant(client, body)
        raise _oidc("UnsupportedGrantTypeException", 400, "unsupported_grant_type", f"unsupported grant {grant}")

    def _device_grant(self, client: Client, body: dict) -> dict:
        auth = self.devices.get(body.get("deviceCode") or "")
        if auth is None or auth.client_id != client.client_id or auth.state == "used":
            raise _oidc("InvalidGrantException", 400, "invalid_grant", "Invalid device code provided")
        now = self.now()
        if auth.expires_at <= now:
            raise _oidc("ExpiredTokenException", 400, "expired_token", "Device code has expired")
        # RFC 8628 §3.5: polling faster than `interval` earns slow_down, and the
        # interval grows by 5 s for the rest of this authorization.
        too_fast = auth.last_poll is not None and now - auth.last_poll < auth.interval - 0.05
        auth.last_poll = now
        if too_fast or self.force_slow_down > 0:
            self.force_slow_down = max(0, self.force_slow_down - 1)
            auth.interval += 5
            auth.slow_downs += 1
            raise _oidc("SlowDownException", 400, "slow_down", "Client is polling too quickly")
        if auth.state == "denied":
            raise _oidc("AccessDeniedException", 400, "access_denied", "Authorization was denied")
        if auth.state == "pending":
            raise _oidc("AuthorizationPendingException", 400, "authorization_pending", "Authorization is still pending")
        auth.state = "used"
        return self._issue(client, auth.start_url)

    def _refresh_grant(self, client: Client, body: dict) -> dict:
        old = self.refresh_tokens.pop(body.get("refreshToken") or "", None)
        if old is None or old.client_id != client.client_id:
            raise _oidc("InvalidGrantException", 400, "invalid_grant", "Invalid refresh token provided")
        return self._issue(client, old.start_url)

    def _issue(self, client: Client, start_url: str) -> dict:
        access = "at-" + secrets.token_urlsafe(32)
        token = Token(start_url, client.client_id, self.now() + self.token_ttl, client.scopes)
        self.tokens[access] = token
        answer = {"accessToken": access, "tokenType": "Bearer", "expiresIn": self.token_ttl}
        # As AWS: a refresh token only for clients registered with scopes (sso-session).
        if client.scopes:
            refresh = "rt-" + secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = Token(start_url, client.client_id, float("inf"), client.scopes)
            answer["refreshToken"] = refresh
        return answer

    # --- portal -----------------------------------------------------------------

    def _token(self, bearer: str | None) -> Token:
        if not bearer:
            raise ApiError("UnauthorizedException", 401, "Session token not found or invalid")
        token = self.tokens.get(bearer)
        if token is None or token.expires_at <= self.now():
            raise ApiError("UnauthorizedException", 401, "Session token not found or invalid")
        now = self.now()
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ApiError("InternalServerException", 500, "Internal failure (injected by the test)")
        if self.rate_limit is not None:
            window = [t for t in self.hits.get(bearer, []) if now - t < 1.0]
            if len(window) >= self.rate_limit:
                self.hits[bearer] = window
                raise ApiError("TooManyRequestsException", 429, "Too many requests")
            window.append(now)
            self.hits[bearer] = window
        return token

    @staticmethod
    def _page(items: list, query: dict) -> tuple[list, str | None]:
        try:
            start = int(base64.urlsafe_b64decode(query["next_token"]).decode()) if "next_token" in query else 0
        except (ValueError, UnicodeDecodeError):
            raise ApiError("InvalidRequestException", 400, "Invalid nextToken") from None
        try:
            size = int(query.get("max_result", DEFAULT_PAGE))
        except ValueError:
            raise ApiError("InvalidRequestException", 400, "Invalid maxResults") from None
        if not 1 <= size <= MAX_PAGE:
            raise ApiError("InvalidRequestException", 400, f"maxResults must be 1..{MAX_PAGE}")
        page = items[start : start + size]
        more = start + size < len(items)
        return page, (base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None)

    def _account(self, account_id: str | None) -> Account:
        if not account_id:
            raise ApiError("InvalidRequestException", 400, "account_id is required")
        for account in self.org:
            if account.account_id == account_id:
                return account
        raise ApiError("ResourceNotFoundException", 404, "No access")

    def list_accounts(self, bearer: str | None, query: dict) -> dict:
        self._token(bearer)
        page, nxt = self._page(self.org, query)
        answer = {
            "accountList": [
                {"accountId": a.account_id, "accountName": a.name, "emailAddress": a.email} for a in page
            ]
        }
        if nxt:
            answer["nextToken"] = nxt
        return answer

    def list_account_roles(self, bearer: str | None, query: dict) -> dict:
        self._token(bearer)
        account = self._account(query.get("account_id"))
        page, nxt = self._page(account.roles, query)
        answer = {"roleList": [{"roleName": r, "accountId": account.account_id} for r in page]}
        if nxt:
            answer["nextToken"] = nxt
        return answer

    def role_target(self, bearer: str | None, query: dict) -> str:
        """Checks a GetRoleCredentials call; returns the role ARN to assume."""
        self._token(bearer)
        if not query.get("role_name"):
            raise ApiError("InvalidRequestException", 400, "role_name is required")
        account = self._account(query.get("account_id"))
        if query["role_name"] not in account.roles:
            raise ApiError("ForbiddenException", 403, "No access")
        return f"arn:aws:iam::{account.account_id}:role/{query['role_name']}"

    def logout(self, bearer: str | None) -> None:
        self._token(bearer)
        del self.tokens[bearer]

    # --- test control -----------------------------------------------------------

    def by_user_code(self, user_code: str) -> DeviceAuth:
        for auth in self.devices.values():
            if auth.user_code == user_code:
                return auth
        raise KeyError(user_code)

    def record(self, entry: dict) -> None:
        self.requests.append(entry)


class SsoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sso: Sso):
        super().__init__(("127.0.0.1", 0), SsoHandler)
        self.sso = sso
        self.port = self.server_address[1]

    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# (method, path) -> operation name, as in the service models.
OPERATIONS = {
    ("GET", "/assignment/accounts"): "ListAccounts",
    ("GET", "/assignment/roles"): "ListAccountRoles",
    ("GET", "/federation/credentials"): "GetRoleCredentials",
    ("POST", "/logout"): "Logout",
    ("POST", "/client/register"): "RegisterClient",
    ("POST", "/device_authorization"): "StartDeviceAuthorization",
    ("POST", "/token"): "CreateToken",
}


class SsoHandler(BaseHTTPRequestHandler):
    server: SsoServer
    server_version = "awsemu-sso"

    def log_request(self, code="-", size="-") -> None:
        log.info("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format, *args) -> None:  # noqa: A002 (stdlib signature)
        log.info(format, *args)

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value, headers: dict | None = None) -> None:
        self._send(status, json.dumps(value).encode(), "application/json", headers)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ApiError("InvalidRequestException", 400, "body must be a JSON object")
        return value

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path.startswith("/_sso/"):
                return self._control(path)
            if path == "/device" and self.command == "GET":
                code = self._query().get("user_code", "")
                page = f"<!doctype html><title>Authorize request</title><p id=user-code>{code}</p>"
                return self._send(200, page.encode(), "text/html; charset=utf-8")
            operation = OPERATIONS.get((self.command, path))
            if operation is None:
                return self._json(404, {"message": f"no such operation: {self.command} {path}"})
            self._operation(operation)
        except Exception:  # a stub bug must show as a 500, not a dropped connection
            log.exception("sso handler failed")
            self._json(500, {"message": "internal error in awsemu sso stub (see its stderr)"})

    def _operation(self, operation: str) -> None:
        sso = self.server.sso
        bearer = self.headers.get("x-amz-sso_bearer_token")
        query = self._query()
        entry = {
            "time": sso.now(),
            "operation": operation,
            "method": self.command,
            "path": urlsplit(self.path).path,
            "bearer_present": bearer is not None,
            "query": {k: v for k, v in query.items() if k in ("account_id", "role_name", "max_result")},
        }
        try:
            body = self._body() if self.command == "POST" else {}
            if operation == "CreateToken":
                entry["grant_type"] = body.get("grantType")
            if operation == "RegisterClient":
                entry["scopes"] = body.get("scopes")
            if operation == "StartDeviceAuthorization":
                entry["start_url"] = body.get("startUrl")
            role_arn = None
            with sso.lock:
                if operation == "ListAccounts":
                    answer = sso.list_accounts(bearer, query)
                elif operation == "ListAccountRoles":
                    answer = sso.list_account_roles(bearer, query)
                elif operation == "GetRoleCredentials":
                    role_arn = sso.role_target(bearer, query)
                    answer = None
                elif operation == "Logout":
                    sso.logout(bearer)
                    answer = None
                elif operation == "RegisterClient":
                    answer = sso.register_client(body)
                elif operation == "StartDeviceAuthorization":
                    answer = sso.start_device_authorization(body, self.server.origin())
                else:
                    answer = sso.create_token(body)
            if role_arn is not None:
                # Outside the lock: moto's AssumeRole is a round trip.
                creds = sso.assume_role(role_arn, USER, sso.token_ttl)
                answer = {
                    "roleCredentials": {
                        "accessKeyId": creds["AccessKeyId"],
                        "secretAccessKey": creds["SecretAccessKey"],
                        "sessionToken": creds["SessionToken"],
                        "expiration": int(creds["Expiration"].timestamp() * 1000),
                    }
                }
                entry["role_arn"] = role_arn
        except ApiError as err:
            entry.update(status=err.status, error=err.shape)
            sso.record(entry)
            if err.oauth_error is not None:
                payload = {"__type": err.shape, "error": err.oauth_error, "error_description": err.message}
            else:
                payload = {"__type": err.shape, "message": err.message}
            headers = {"x-amzn-ErrorType": err.shape}
            if err.status == 429 and sso.retry_after is not None:
                headers["Retry-After"] = str(sso.retry_after)
            return self._json(err.status, payload, headers)
        entry["status"] = 200
        sso.record(entry)
        if answer is None:
            return self._send(200, b"", "application/json")
        self._json(200, answer)

    def _control(self, path: str) -> None:
        sso = self.server.sso
        q = self._query()
        route = (self.command, path)
        with sso.lock:
            if route == ("GET", "/_sso/requests"):
                return self._json(200, {"requests": list(sso.requests)})
            if route == ("GET", "/_sso/devices"):
                return self._json(200, {"devices": [
                    {"user_code": d.user_code, "state": d.state, "interval": d.interval,
                     "slow_downs": d.slow_downs, "start_url": d.start_url, "expires_at": d.expires_at}
                    for d in sso.devices.values()
                ]})
            if route == ("POST", "/_sso/seed"):
                accounts, roles = int(q.get("accounts", "3")), int(q.get("roles", "2"))
                sso.org = make_org(accounts, roles, int(q.get("first_id", "100000000001")))
                return self._json(200, {"accounts": accounts, "roles": roles,
                                        "first": sso.org[0].account_id if sso.org else None})
            if route == ("POST", "/_sso/approve") or route == ("POST", "/_sso/deny"):
                try:
                    auth = sso.by_user_code(q.get("user_code", ""))
                except KeyError:
                    return self._json(404, {"error": f"no device authorization {q.get('user_code')!r}"})
                if auth.state != "pending":
                    return self._json(409, {"error": f"already {auth.state}"})
                auth.state = "approved" if path.endswith("approve") else "denied"
                return self._json(200, {"user_code": auth.user_code, "state": auth.state})
            if route == ("POST", "/_sso/expire"):
                now = sso.now()
                count = 0
                if "user_code" in q:
                    for d in sso.devices.values():
                        if d.user_code == q["user_code"]:
                            d.expires_at, count = now, count + 1
                if "access_token" in q and q["access_token"] in sso.tokens:
                    sso.tokens[q["access_token"]].expires_at, count = now, count + 1
                if q.get("all_tokens") == "1":
                    for t in sso.tokens.values():
                        t.expires_at, count = now, count + 1
                return self._json(200, {"expired": count})
            if route == ("POST", "/_sso/settings"):
                for key in ("interval", "device_ttl", "token_ttl", "force_slow_down", "fail_next"):
                    if key in q:
                        setattr(sso, key, int(q[key]))
                if "rate_limit" in q:
                    sso.rate_limit = float(q["rate_limit"]) if q["rate_limit"] else None
                if "retry_after" in q:
                    sso.retry_after = int(q["retry_after"]) if q["retry_after"] else None
                return self._json(200, {"interval": sso.interval, "device_ttl": sso.device_ttl,
                                        "token_ttl": sso.token_ttl, "force_slow_down": sso.force_slow_down,
                                        "rate_limit": sso.rate_limit, "retry_after": sso.retry_after,
                                        "fail_next": sso.fail_next})
            if route == ("POST", "/_sso/advance"):
                sso.offset += float(q.get("seconds", "0"))
                return self._json(200, {"now": sso.now()})
        self._json(404, {"error": f"no such control route: {self.command} {path}"})


def make_assume_role(moto_endpoint: str, region: str, user_agent: str):
    """AssumeRole on moto (no IAM auth: any key is accepted) for GetRoleCredentials."""
    import boto3
    from botocore.config import Config

    lock = threading.Lock()
    session = boto3.session.Session()
    with lock:
        client = session.client(
            "sts", endpoint_url=moto_endpoint, region_name=region,
            aws_access_key_id="sso-portal", aws_secret_access_key="sso-portal",
            config=Config(user_agent_extra=user_agent, retries={"max_attempts": 1}),
        )

    def assume_role(role_arn: str, session_name: str, seconds: int) -> dict:
        with lock:  # botocore clients are thread-safe for calls, but keep moto calls serial
            return client.assume_role(
                RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=seconds
            )["Credentials"]

    return assume_role
