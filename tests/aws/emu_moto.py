"""In-process extensions to moto 5.2.5 for the roleport test environment.

moto runs inside the awsemu process (ThreadedMotoServer), so the federation stub
can look at moto's own backends to decide whether a credential was really issued.
That is needed because moto's GetCallerIdentity answers for *any* key (unknown keys
get a default `user/moto` identity) and never checks the secret or the session token.

A few moto behaviours are patched, each because a test of the product depends on it:

* GetFederationToken / GetSessionToken: moto returns the same documentation example
  credentials (AKIAIOSFODNN7EXAMPLE...) on every call and keeps no record of them,
  so the stub could not tell them apart, and GetCallerIdentity would report
  `user/moto`. They now get unique, recorded ASIA keys, and GetCallerIdentity
  reports the federated user / the IAM user as AWS does.
* AssumeRole: we record which credentials called it, so role chaining (a role
  session assuming another role) can be recognised by the federation stub, and a
  chained AssumeRole asking for more than 3600 s fails with AWS's ValidationError
  (moto would grant it).
* POST /moto-api/reset: also forgets the records above, so old keys stop working.

Everything here is tied to moto==5.2.5 internals (pinned in requirements.txt).
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import asdict, dataclass

from moto.iam.models import iam_backends
from moto.moto_api._internal.models import MotoAPIBackend
import emu_totp
from moto.sts.exceptions import STSClientError, STSValidationError
from moto.sts.models import STSBackend, sts_backends
from moto.sts.responses import TokenResponse
from moto.sts.utils import random_session_token

CHAINED_MAX_DURATION = 3600

# Kinds of credentials, as the federation stub needs to tell them apart.
ASSUMED_ROLE = "assumed-role"  # AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity
FEDERATION = "federation"  # GetFederationToken
SESSION = "session"  # GetSessionToken
IAM_USER = "iam-user"  # long-term IAM user access key


@dataclass
class Issued:
    kind: str
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    account_id: str
    arn: str
    user_id: str
    expiration: float | None  # POSIX seconds; None for long-term keys
    chained: bool = False  # an assumed-role session created from another role session
    federated_name: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


_lock = threading.Lock()
# Credentials we minted for GetFederationToken / GetSessionToken, by access key id.
_tokens: dict[str, Issued] = {}
# Access key id of an assumed-role session -> access key id of the caller that made it.
_assumed_by: dict[str, str] = {}


def _epoch(naive_utc: datetime.datetime) -> float:
    # moto stores naive datetimes that mean UTC.
    return naive_utc.replace(tzinfo=datetime.timezone.utc).timestamp()


def _assumed_roles():
    for per_account in list(sts_backends.values()):
        for backend in list(per_account.values()):
            yield from list(backend.assumed_roles)


def _iam_user_keys():
    for per_account in list(iam_backends.values()):
        for backend in list(per_account.values()):
            for user in list(backend.users.values()):
                for key in list(user.access_keys):
                    yield user, key


def _find_assumed_role(access_key_id: str):
    for role in _assumed_roles():
        if role.access_key_id == access_key_id:
            return role
    return None


def _find_user_of_key(access_key_id: str):
    for user, key in _iam_user_keys():
        if key.access_key_id == access_key_id:
            return user
    return None


def _from_assumed_role(role) -> Issued:
    with _lock:
        caller = _assumed_by.get(role.access_key_id)
    return Issued(
        kind=ASSUMED_ROLE,
        access_key_id=role.access_key_id,
        secret_access_key=role.secret_access_key,
        session_token=role.session_token,
        account_id=role.account_id,
        arn=role.arn,
        user_id=role.user_id,
        expiration=_epoch(role.expiration),
        chained=caller is not None and _find_assumed_role(caller) is not None,
    )


def _from_user_key(user, key) -> Issued:
    return Issued(
        kind=IAM_USER,
        access_key_id=key.access_key_id,
        secret_access_key=key.secret_access_key,
        session_token=None,
        account_id=user.account_id,
        arn=user.arn,
        user_id=user.id,
        expiration=None,
    )


def all_issued() -> list[Issued]:
    """Every credential moto has handed out: role sessions, our tokens, IAM user keys."""
    out = [_from_assumed_role(r) for r in _assumed_roles()]
    with _lock:
        out.extend(_tokens.values())
    out.extend(_from_user_key(user, key) for user, key in _iam_user_keys())
    return out


def lookup(access_key_id: str) -> Issued | None:
    with _lock:
        token = _tokens.get(access_key_id)
    if token is not None:
        return token
    role = _find_assumed_role(access_key_id)
    if role is not None:
        return _from_assumed_role(role)
    for user, key in _iam_user_keys():
        if key.access_key_id == access_key_id:
            return _from_user_key(user, key)
    return None


# --- patches -------------------------------------------------------------------

_orig_assume_role = TokenResponse.assume_role
_orig_get_federation_token = TokenResponse.get_federation_token
_orig_get_session_token = TokenResponse.get_session_token
_orig_get_caller_identity = STSBackend.get_caller_identity
_orig_reset = MotoAPIBackend.reset


def _assume_role(self):
    caller = self.get_access_key()
    if _find_assumed_role(caller) is not None:
        duration = self._get_int_param("DurationSeconds", 3600)
        if duration > CHAINED_MAX_DURATION:
            # Real STS refuses (it does not silently cap): see the IAM user guide,
            # "role chaining limits ... to a maximum of one hour".
            raise STSValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit "
                "for roles assumed by role chaining."
            )
    result = _orig_assume_role(self)
    with _lock:
        _assumed_by[result.result["Credentials"].access_key_id] = caller
    return result


def _mint(self, result, kind: str, arn: str, user_id: str, name: str | None):
    """Replace moto's constant example credentials in `result` with unique ones."""
    creds = result.result["Credentials"]
    # A temp key registered in IAM makes moto attribute later calls made with it to
    # the right account (moto maps access key -> account through IAM's key table).
    key = iam_backends[self.current_account][self.partition].create_temp_access_key()
    creds["AccessKeyId"] = key.access_key_id
    creds["SecretAccessKey"] = key.secret_access_key
    creds["SessionToken"] = random_session_token()
    issued = Issued(
        kind=kind,
        access_key_id=key.access_key_id,
        secret_access_key=key.secret_access_key,
        session_token=creds["SessionToken"],
        account_id=self.current_account,
        arn=arn,
        user_id=user_id,
        expiration=_epoch(creds["Expiration"]),
        federated_name=name,
    )
    with _lock:
        _tokens[issued.access_key_id] = issued
    return result


def _get_federation_token(self):
    result = _orig_get_federation_token(self)
    fed = result.result["FederatedUser"]
    name = self._get_param("Name")
    return _mint(self, result, FEDERATION, fed["Arn"], fed["FederatedUserId"], name)


class _MfaDenied(STSClientError):
    def __init__(self, message: str):
        super().__init__("AccessDenied", message)


_used_codes: set[tuple[str, str]] = set()


def _check_mfa(self) -> None:
    """What moto skips: a SerialNumber must name a virtual device of the account and
    TokenCode must be its current code, used once (AWS refuses a replayed code)."""
    serial = self._get_param("SerialNumber")
    if not serial:
        return
    token = self._get_param("TokenCode") or ""
    device = iam_backends[self.current_account][self.partition].virtual_mfa_devices.get(serial)
    with _lock:
        replayed = (serial, token) in _used_codes
        ok = device is not None and not replayed and emu_totp.valid(device.base32_string_seed, token)
        if ok:
            _used_codes.add((serial, token))
    if not ok:
        raise _MfaDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")


def _get_session_token(self):
    _check_mfa(self)
    result = _orig_get_session_token(self)
    user = _find_user_of_key(self.get_access_key())
    if user is not None:
        arn, user_id = user.arn, user.id
    else:  # moto lets unknown keys call anything; mirror its default identity
        arn, user_id = f"arn:{self.partition}:iam::{self.current_account}:user/moto", "moto"
    return _mint(self, result, SESSION, arn, user_id, None)


def _get_caller_identity(self, access_key_id: str, region: str):
    with _lock:
        token = _tokens.get(access_key_id)
    if token is not None:
        return token.user_id, token.arn, token.account_id
    return _orig_get_caller_identity(self, access_key_id, region)


def _reset(self) -> None:
    # POST /moto-api/reset wipes moto's backends; forget our records with them.
    _orig_reset(self)
    with _lock:
        _tokens.clear()
        _assumed_by.clear()
        _used_codes.clear()


def virtual_mfa_device(serial: str):
    """The moto device with that serial, in whichever account holds it."""
    for account, by_partition in list(iam_backends.items()):
        for backend in list(by_partition.values()):
            device = backend.virtual_mfa_devices.get(serial)
            if device is not None:
                return device
    return None


def _query_protocol_auth_errors() -> None:
    """moto renders its IAM-auth refusals (bad signature, unknown key, policy denial) in
    EC2's `<ErrorResponse><Errors><Error>` shape; STS and IAM speak the query protocol,
    `<ErrorResponse><Error>`, which is what the AWS SDKs parse. Re-render them as STS would."""
    from xmltodict import unparse

    from moto.core import exceptions as core

    for cls in (
        core.SignatureDoesNotMatchError,
        core.InvalidClientTokenIdError,
        core.AccessDeniedError,
        core.AuthFailureError,
    ):
        original = cls.__init__

        def __init__(self, *args, _original=original, **kwargs):
            _original(self, *args, **kwargs)
            error = {"Type": "Sender", "Code": self.error_type, "Message": self.message}
            self.description = unparse(
                {"ErrorResponse": {"Error": error, "RequestId": random_session_token()[:36]}},
                full_document=True,
            )

        cls.__init__ = __init__


def install() -> None:
    _query_protocol_auth_errors()
    TokenResponse.assume_role = _assume_role
    TokenResponse.get_federation_token = _get_federation_token
    TokenResponse.get_session_token = _get_session_token
    STSBackend.get_caller_identity = _get_caller_identity
    MotoAPIBackend.reset = _reset
