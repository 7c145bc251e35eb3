"""State and rules of the fake AWS console federation endpoint.

This is the part of AWS that moto lacks: getSigninToken turns temporary
credentials into a single-use sign-in token, login turns the token into a console
session cookie. The rules follow /work/shared/notes/aws.md (console federation):
the endpoint never trusts the caller's word for who it is, it checks the
credentials against what moto really issued.

Time comes from `Clock`, which tests can move forward (POST /_stub/advance) so
token and session expiry are tested without waiting.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

import emu_moto

TOKEN_LIFETIME = 15 * 60  # a sign-in token is valid 15 minutes
SESSION_DURATION_MIN, SESSION_DURATION_MAX = 900, 43200


class Refused(Exception):
    """A request AWS would answer with 400; the message goes in the body."""


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
        return self.now()


@dataclass
class Identity:
    """Who a console session is for, as the console would show it."""

    kind: str  # emu_moto.ASSUMED_ROLE or emu_moto.FEDERATION
    account_id: str
    name: str  # role name, or federated user name
    session_name: str | None
    arn: str
    chained: bool
    credentials_expire: float


@dataclass
class Grant:
    """A sign-in token waiting for its login."""

    identity: Identity
    issued_at: float
    session_duration: int | None
    used: bool = False


@dataclass
class ConsoleSession:
    kind: str
    account_id: str
    name: str
    session_name: str | None
    arn: str
    expires_at: float


def identity_from_arn(issued: emu_moto.Issued) -> Identity:
    # arn:aws:sts::111111111111:assumed-role/Admin/session
    # arn:aws:sts::123456789012:federated-user/bob
    parts = issued.arn.split(":", 5)[5].split("/")
    name = parts[1] if len(parts) > 1 else parts[0]
    session_name = parts[2] if len(parts) > 2 else None
    return Identity(
        kind=issued.kind,
        account_id=issued.account_id,
        name=name,
        session_name=session_name,
        arn=issued.arn,
        chained=issued.chained,
        credentials_expire=issued.expiration or 0.0,
    )


class Federation:
    """getSigninToken / login / console-session bookkeeping; thread-safe."""

    def __init__(self, clock: Clock, caller_identity: Callable[[str, str, str], dict | None]):
        self.clock = clock
        # Asks moto's STS GetCallerIdentity with the given credentials (see awsemu).
        self._caller_identity = caller_identity
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}
        self._sessions: dict[str, ConsoleSession] = {}
        self.requests: list[dict] = []

    def record(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)

    def requests_snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.requests)

    # --- Action=getSigninToken ----------------------------------------------

    def get_signin_token(self, session: dict, session_duration: str | None) -> tuple[str, Identity]:
        akid = session.get("sessionId")
        secret = session.get("sessionKey")
        token = session.get("sessionToken")
        if not isinstance(akid, str) or not isinstance(secret, str) or not akid or not secret:
            raise Refused("Session must contain sessionId and sessionKey")
        if not token:
            raise Refused(
                "Session has no sessionToken: long-term IAM user keys cannot sign in to the "
                "console; call GetFederationToken or AssumeRole first"
            )
        issued = emu_moto.lookup(akid)
        # moto itself would accept any secret and token for a known key: compare here.
        if (
            issued is None
            or issued.session_token is None
            or not hmac.compare_digest(issued.secret_access_key.encode(), secret.encode())
            or not hmac.compare_digest(issued.session_token.encode(), str(token).encode())
        ):
            raise Refused("The security token included in the request is invalid")
        if issued.kind == emu_moto.SESSION:
            raise Refused("GetSessionToken credentials cannot be used to sign in to the console")
        now = self.clock.now()
        if issued.expiration is not None and issued.expiration <= now:
            raise Refused("The security token included in the request is expired")
        # Cross-check with STS itself, as a real broker's credentials would be.
        who = self._caller_identity(akid, secret, token)
        if who is None or who.get("Arn") != issued.arn or who.get("Account") != issued.account_id:
            raise Refused("The security token included in the request is invalid")

        identity = identity_from_arn(issued)
        duration = None
        if session_duration is not None:
            if identity.kind != emu_moto.ASSUMED_ROLE:
                raise Refused("SessionDuration is not supported for GetFederationToken credentials")
            if identity.chained:
                raise Refused("SessionDuration is not supported for role-chained credentials")
            try:
                duration = int(session_duration)
            except ValueError:
                raise Refused("SessionDuration must be a number of seconds") from None
            if not SESSION_DURATION_MIN <= duration <= SESSION_DURATION_MAX:
                raise Refused(
                    f"SessionDuration must be between {SESSION_DURATION_MIN} and {SESSION_DURATION_MAX}"
                )

        signin_token = secrets.token_urlsafe(192)  # opaque; real ones are long too
        with self._lock:
            self._grants[signin_token] = Grant(identity, now, duration)
        return signin_token, identity

    # --- Action=login --------------------------------------------------------

    def login(self, signin_token: str) -> tuple[str, ConsoleSession]:
        now = self.clock.now()
        with self._lock:
            grant = self._grants.get(signin_token)
            if grant is None:
                raise Refused("The sign-in token is not valid")
            if grant.used:
                raise Refused("The sign-in token has already been used")
            if now > grant.issued_at + TOKEN_LIFETIME:
                raise Refused("The sign-in token has expired")
            grant.used = True
            ident = grant.identity
            # Without SessionDuration the console session lasts as long as the
            # credentials (IAM user guide, "custom identity broker" page).
            if grant.session_duration is not None:
                expires = now + grant.session_duration
            else:
                expires = ident.credentials_expire
            session = ConsoleSession(
                ident.kind, ident.account_id, ident.name, ident.session_name, ident.arn, expires
            )
            session_id = secrets.token_urlsafe(32)
            self._sessions[session_id] = session
        return session_id, session

    # --- console -------------------------------------------------------------

    def console_session(self, session_id: str | None) -> tuple[ConsoleSession | None, str]:
        """The live session for a cookie value, or None and why not."""
        if not session_id:
            return None, "no aws-session cookie"
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            return None, "unknown session"
        if session.expires_at <= self.clock.now():
            return None, "session expired"
        return session, ""

    def logout(self, session_id: str | None) -> ConsoleSession | None:
        """Ends the session of a cookie value, as AWS's sign-out does: the cookie stops
        working at once, wherever a copy of it lives. Returns the session it ended."""
        if not session_id:
            return None
        with self._lock:
            return self._sessions.pop(session_id, None)
