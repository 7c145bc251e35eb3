"""Cognito user pools and identity pools that answer honestly (patches to moto 5.2.5).

moto implements both services, but three of its answers would let a broken client pass:

* USER_SRP_AUTH: moto sends a random SRP_B, SALT and a non-base64 SECRET_BLOCK and never
  checks PASSWORD_CLAIM_SIGNATURE, so any password (and any SRP maths) "works". Here the
  challenge is real SRP-6a as Cognito does it (amazon-cognito-identity-js'
  AuthenticationHelper: 3072-bit group, g = 2, k = H(N | g), x = H(salt | H(pool name |
  USER_ID_FOR_SRP | ":" | password)), HKDF "Caldera Derived Key"), computed from the
  password moto stores, and a wrong signature is NotAuthorizedException as in AWS.
* GetCredentialsForIdentity: moto answers fixed fake keys that the federation stub (rightly)
  refuses. Here it checks the login (an IdToken moto's user pool issued, unexpired, for a
  provider the identity pool lists) and mints real credentials with moto's AssumeRole of the
  pool's authenticated role, or of `CustomRoleArn` when the token's groups carry that role.
* GetOpenIdToken + AssumeRoleWithWebIdentity (the basic flow): moto's token is a random
  string and its AssumeRoleWithWebIdentity accepts any token. Here GetOpenIdToken needs a
  valid login and issues a recorded token; AssumeRoleWithWebIdentity refuses tokens that look
  like Cognito Identity's but were never issued (other tokens still go through unchecked, as
  in plain moto).

* Token lifetimes: moto makes every token last an hour. Here the app client's
  `IdTokenValidity` / `AccessTokenValidity` (with `TokenValidityUnits`, default hours) apply,
  as in Cognito, so a test can have tokens that need renewing.

moto has no SetIdentityPoolRoles / GetIdentityPoolRoles; they are added, with AWS's shapes.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import secrets
import threading
import time

from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, cognitoidp_backends
from moto.core.exceptions import JsonRESTError
from moto.sts.exceptions import STSClientError
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

# RFC 5054's 3072-bit group, as Cognito uses it.
N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D226"
    "1AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
OPEN_ID_ISSUER = "https://cognito-identity.amazonaws.com"
SESSION_SECONDS = 3600


def _pad_hex(value: int) -> str:
    """AuthenticationHelper.padHex: even length, and a leading 00 when the top bit is set."""
    text = format(value, "x")
    if len(text) % 2:
        text = "0" + text
    elif text[0] in "89abcdef":
        text = "00" + text
    return text


def _hex_hash(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K = int(_hex_hash(_pad_hex(N) + _pad_hex(G)), 16)


def _hkdf(ikm: bytes, salt: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]


def _x(pool_name: str, user_id: str, password: str, salt_hex: str) -> int:
    inner = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
    return int(_hex_hash(salt_hex + inner), 16)


class SrpChallenge:
    """The server half of one USER_SRP_AUTH exchange."""

    def __init__(self, pool_name: str, user_id: str, password: str, a_hex: str):
        self.pool_name = pool_name
        self.user_id = user_id
        self.A = int(a_hex, 16)
        if self.A % N == 0:
            raise NotAuthorizedError("Incorrect username or password.")
        self.salt_hex = _pad_hex(secrets.randbits(128) | (1 << 127))
        self.v = pow(G, _x(pool_name, user_id, password, self.salt_hex), N)
        self.b = secrets.randbits(1024)
        self.B = (K * self.v + pow(G, self.b, N)) % N
        self.secret_block = base64.b64encode(secrets.token_bytes(64)).decode()

    def expected_signature(self, timestamp: str) -> bytes:
        u = int(_hex_hash(_pad_hex(self.A) + _pad_hex(self.B)), 16)
        s = pow(self.A * pow(self.v, u, N), self.b, N)
        key = _hkdf(bytes.fromhex(_pad_hex(s)), bytes.fromhex(_pad_hex(u)))
        message = (
            self.pool_name.encode()
            + self.user_id.encode()
            + base64.b64decode(self.secret_block)
            + timestamp.encode()
        )
        return hmac.new(key, message, hashlib.sha256).digest()


_lock = threading.Lock()
# SECRET_BLOCK -> the challenge it belongs to (single use).
_challenges: dict[str, SrpChallenge] = {}
# identity pool id -> {"authenticated": role arn, ...} (SetIdentityPoolRoles' Roles).
_pool_roles: dict[str, dict[str, str]] = {}
# OpenID token -> (identity pool id, identity id, expiry).
_open_id_tokens: dict[str, tuple[str, str, float]] = {}


class _InvalidParameter(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterException", message)


class _IdentityNotAuthorized(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("NotAuthorizedException", message)


_original_create_jwt = CognitoIdpUserPool.create_jwt
_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _create_jwt(self, client_id, username, token_use, expires_in=3600, extra_data=None):
    client = self.clients.get(client_id)
    config = client.extended_config if client else {}
    kind = {"id": "IdToken", "access": "AccessToken"}.get(token_use)
    validity = config.get(f"{kind}Validity") if kind else None
    if validity:
        unit = (config.get("TokenValidityUnits") or {}).get(kind, "hours")
        expires_in = int(validity) * _UNITS.get(unit, 3600)
    return _original_create_jwt(self, client_id, username, token_use, expires_in, extra_data)


_original_initiate_auth = CognitoIdpBackend.initiate_auth
_original_respond = CognitoIdpBackend.respond_to_auth_challenge
_original_assume_web = TokenResponse.assume_role_with_web_identity


def _initiate_auth(self, client_id, auth_flow, auth_parameters):
    answer = _original_initiate_auth(self, client_id, auth_flow, auth_parameters)
    if answer.get("ChallengeName") != "PASSWORD_VERIFIER":
        return answer
    params = answer["ChallengeParameters"]
    username, pool = self.sessions[answer["Session"]]
    user = self.admin_get_user(pool.id, username)
    challenge = SrpChallenge(
        pool.id.split("_", 1)[1], params["USER_ID_FOR_SRP"], user.password,
        auth_parameters.get("SRP_A", ""),
    )
    # moto finds the session of a PASSWORD_VERIFIER answer by its secret block.
    self.sessions[challenge.secret_block] = self.sessions[answer["Session"]]
    with _lock:
        _challenges[challenge.secret_block] = challenge
    params["SALT"] = challenge.salt_hex
    params["SRP_B"] = format(challenge.B, "x")
    params["SECRET_BLOCK"] = challenge.secret_block
    return answer


def _respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
    if challenge_name == "PASSWORD_VERIFIER":
        block = challenge_responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
        with _lock:
            challenge = _challenges.pop(block, None)
        if challenge is None:
            raise NotAuthorizedError("Invalid session for the user.")
        try:
            signature = base64.b64decode(challenge_responses.get("PASSWORD_CLAIM_SIGNATURE", ""))
        except ValueError:
            signature = b""
        expected = challenge.expected_signature(challenge_responses.get("TIMESTAMP", ""))
        if not hmac.compare_digest(signature, expected):
            raise NotAuthorizedError("Incorrect username or password.")
    return _original_respond(self, session, client_id, challenge_name, challenge_responses)


def _jwt_claims(token: str) -> dict:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def _user_pools(region: str, pool_id: str):
    for per_account in list(cognitoidp_backends.values()):
        backend = dict(per_account).get(region)
        if backend is not None and pool_id in backend.user_pools:
            yield backend.user_pools[pool_id]


def _check_login(identity_pool, logins: dict) -> tuple[object, object]:
    """The user pool and user behind the identity pool login, or NotAuthorizedException."""
    if not logins:
        raise _IdentityNotAuthorized("Unauthenticated access is not supported for this identity pool.")
    listed: dict[str, set] = {}
    for p in identity_pool.cognito_identity_providers or []:
        listed.setdefault(p["ProviderName"], set()).add(p.get("ClientId"))
    for provider, token in logins.items():
        if provider not in listed:
            raise _IdentityNotAuthorized(f"Invalid login token. Provider {provider} is not configured.")
        region, _, pool_id = provider.partition(".amazonaws.com/")
        region = region.removeprefix("cognito-idp.")
        for pool in _user_pools(region, pool_id):
            if token not in pool.id_tokens:
                continue
            claims = _jwt_claims(token)
            if claims.get("exp", 0) < time.time():
                raise _IdentityNotAuthorized("Invalid login token. Token expired.")
            if None not in listed[provider] and claims.get("aud") not in listed[provider]:
                raise _IdentityNotAuthorized("Invalid login token. Incorrect client id.")
            _, username = pool.id_tokens[token]
            return pool, pool._get_user(username)
        raise _IdentityNotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
    raise _IdentityNotAuthorized("Invalid login token.")


def _identity_pool_of(identity_id: str):
    region = identity_id.split(":")[0]
    for per_account in list(cognitoidentity_backends.values()):
        backend = dict(per_account).get(region)
        if backend is None:
            continue
        for pool_id, identities in backend.pools_identities.items():
            if any(i.get("IdentityId") == identity_id for i in identities["Identities"]):
                return backend.identity_pools[pool_id]
    raise _InvalidParameter(f"Identity {identity_id} does not exist.")


def _mint(role_arn: str, session_name: str) -> dict:
    account = role_arn.split(":")[4]
    role = sts_backends[account]["global"].assume_role(
        region_name="us-east-1", role_session_name=session_name, role_arn=role_arn,
        policy=None, duration=SESSION_SECONDS, external_id=None,
    )
    return {
        "AccessKeyId": role.access_key_id,
        "SecretKey": role.secret_access_key,
        "SessionToken": role.session_token,
        "Expiration": role.expiration.replace(tzinfo=datetime.timezone.utc).timestamp(),
    }


def _get_credentials_for_identity(self) -> str:
    identity_id = self._get_param("IdentityId")
    identity_pool = _identity_pool_of(identity_id)
    _, user = _check_login(identity_pool, self._get_param("Logins") or {})
    with _lock:
        default = _pool_roles.get(identity_pool.identity_pool_id, {}).get("authenticated")
    custom = self._get_param("CustomRoleArn")
    if custom:
        # The token's roles: those of the user's groups (Cognito's cognito:roles claim).
        allowed = {g.role_arn for g in user.groups if g.role_arn}
        if custom not in allowed:
            raise _IdentityNotAuthorized("The role in CustomRoleArn is not one of the token's roles.")
        role_arn = custom
    elif default:
        role_arn = default
    else:
        raise _InvalidParameter("No authenticated role is set on the identity pool.")
    credentials = _mint(role_arn, "CognitoIdentityCredentials")
    return json.dumps({"IdentityId": identity_id, "Credentials": credentials})


def _get_open_id_token(self) -> str:
    identity_id = self._get_param("IdentityId")
    identity_pool = _identity_pool_of(identity_id)
    _check_login(identity_pool, self._get_param("Logins") or {})
    header = base64.urlsafe_b64encode(b'{"alg":"RS512","kid":"emu"}').rstrip(b"=").decode()
    claims = {
        "iss": OPEN_ID_ISSUER,
        "aud": identity_pool.identity_pool_id,
        "sub": identity_id,
        "amr": ["authenticated"],
        "exp": int(time.time()) + 600,
    }
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    token = f"{header}.{body}.{secrets.token_urlsafe(32)}"
    with _lock:
        _open_id_tokens[token] = (identity_pool.identity_pool_id, identity_id, claims["exp"])
    return json.dumps({"IdentityId": identity_id, "Token": token})


def _assume_role_with_web_identity(self):
    token = self._get_param("WebIdentityToken") or ""
    if _jwt_claims(token).get("iss") == OPEN_ID_ISSUER:
        with _lock:
            known = _open_id_tokens.get(token)
        if known is None or known[2] < time.time():
            raise STSClientError("InvalidIdentityToken", "The ID Token provided is not valid.")
    return _original_assume_web(self)


def _set_identity_pool_roles(self) -> str:
    pool_id = self._get_param("IdentityPoolId")
    if pool_id not in self.backend.identity_pools:
        raise _InvalidParameter(f"Identity pool {pool_id} does not exist.")
    with _lock:
        _pool_roles[pool_id] = dict(self._get_param("Roles") or {})
    return ""


def _get_identity_pool_roles(self) -> str:
    pool_id = self._get_param("IdentityPoolId")
    with _lock:
        roles = dict(_pool_roles.get(pool_id, {}))
    return json.dumps({"IdentityPoolId": pool_id, "Roles": roles})


def install() -> None:
    CognitoIdpUserPool.create_jwt = _create_jwt
    CognitoIdpBackend.initiate_auth = _initiate_auth
    CognitoIdpBackend.respond_to_auth_challenge = _respond_to_auth_challenge
    CognitoIdentityResponse.get_credentials_for_identity = _get_credentials_for_identity
    CognitoIdentityResponse.get_open_id_token = _get_open_id_token
    CognitoIdentityResponse.set_identity_pool_roles = _set_identity_pool_roles
    CognitoIdentityResponse.get_identity_pool_roles = _get_identity_pool_roles
    TokenResponse.assume_role_with_web_identity = _assume_role_with_web_identity


# Demo data: a user pool and an identity pool in the default account, whose roles live in
# account A (cross-account access through Cognito).
ROLE_ACCOUNT = "444444444444"
USERNAME = "carol"
PASSWORD = "Correct-Horse-9"


def seed(endpoint: str, client) -> dict:
    """Create the pools, carol and the roles; `client(service, account)` makes a boto3
    client for moto. Returns the `cognito` part of the JSON line."""
    roles = {
        name: f"arn:aws:iam::{ROLE_ACCOUNT}:role/{name}" for name in ("CognitoUser", "CognitoAdmin")
    }
    iam = client("iam", ROLE_ACCOUNT)
    for name in roles:
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                }],
            }),
            MaxSessionDuration=43200,
        )
        # The identity's role may chain into other accounts' roles (role_arn on top).
        iam.put_role_policy(
            RoleName=name, PolicyName="chain",
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }),
        )
    idp = client("cognito-idp", "123456789012")
    pool_id = idp.create_user_pool(PoolName="roleport-demo")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="roleport",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    # Tokens that need renewing at once (roleport renews five minutes ahead): refresh tests.
    short_client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="roleport-short-tokens",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        IdTokenValidity=5,
        AccessTokenValidity=5,
        TokenValidityUnits={"IdToken": "minutes", "AccessToken": "minutes"},
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username=USERNAME, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=USERNAME, Password=PASSWORD, Permanent=True
    )
    idp.create_group(GroupName="admins", UserPoolId=pool_id, RoleArn=roles["CognitoAdmin"])
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=USERNAME, GroupName="admins")
    identity = client("cognito-identity", "123456789012")
    identity_pool_id = identity.create_identity_pool(
        IdentityPoolName="roleport_demo",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": f"cognito-idp.us-east-1.amazonaws.com/{pool_id}", "ClientId": c}
            for c in (client_id, short_client_id)
        ],
    )["IdentityPoolId"]
    identity.set_identity_pool_roles(
        IdentityPoolId=identity_pool_id, Roles={"authenticated": roles["CognitoUser"]}
    )
    return {
        "user_pool_id": pool_id,
        "client_id": client_id,
        "short_client_id": short_client_id,
        "identity_pool_id": identity_pool_id,
        "username": USERNAME,
        "password": PASSWORD,
        "account_id": ROLE_ACCOUNT,
        "role": roles["CognitoUser"],
        "admin_role": roles["CognitoAdmin"],
    }
