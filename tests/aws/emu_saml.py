"""SAML sign-in for the test AWS: a stub identity provider (an ADFS stand-in) and AWS's SAML
sign-in endpoint, plus what moto 5.2.5 lacks for AssumeRoleWithSAML.

* The IdP page (`http://idp.fakeaws.test:PORT/adfs/ls/IdpInitiatedSignOn`) answers, like
  ADFS's IdP-initiated sign-on, with an HTML form that posts a base64 `SAMLResponse` to the
  sign-in host's `/saml` as soon as it loads. Query: `roles=prod,dev,audit` (keys of the
  seeded demo roles, or role ARNs; default all three), `session=` (RoleSessionName),
  `duration=` (SessionDuration), `expired=1` (NotOnOrAfter already past).
* `POST /saml` on the sign-in host answers like AWS's role chooser: a page listing the roles.
* `GET /_stub/saml/responses` lists every SAMLResponse the IdP issued (canary tests).
* moto's AssumeRoleWithSAML ignores RoleArn (it takes the first Role value, and breaks on
  several), PrincipalArn and DurationSeconds, and checks nothing. The patch makes it behave
  as AWS does for what roleport depends on: RoleArn + PrincipalArn must be one of the
  assertion's Role pairs (either order), the provider must exist in IAM and the role must
  trust it for sts:AssumeRoleWithSAML, the assertion must not be past NotOnOrAfter, and
  DurationSeconds is honoured up to the role's MaxSessionDuration. The signature is not
  checked (the stub IdP does not sign).
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import xml.etree.ElementTree as ET
from html import escape

ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTR = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
DURATION_ATTR = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
AUDIENCE = "https://signin.aws.amazon.com/saml"
PROVIDER_NAME = "roleport-adfs"
IDP_PATH = "/adfs/ls/IdpInitiatedSignOn"
VALIDITY = 5 * 60  # ADFS's default assertion lifetime

# A metadata document long enough for IAM's 1000-character minimum.
METADATA = (
    '<?xml version="1.0"?>\n<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="http://idp.fakeaws.test/adfs/services/trust"><IDPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing">'
    '<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>'
    + "A" * 1200
    + "</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService "
    'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
    'Location="http://idp.fakeaws.test/adfs/ls/"/></IDPSSODescriptor></EntityDescriptor>\n'
)


def provider_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:saml-provider/{PROVIDER_NAME}"


def _account(role_arn: str) -> str:
    return role_arn.split(":")[4]


# --- seeding -------------------------------------------------------------------------


def seed(client, roles: dict[str, str]) -> dict:
    """A SAML provider in each demo role's account, and the role trusting it (beside its
    existing trust). `client(service, account)` is emu_seed's account-pinned boto3 client."""
    for arn in roles.values():
        account, name = _account(arn), arn.rsplit("/", 1)[1]
        iam = client("iam", account)
        if not any(p["Arn"] == provider_arn(account) for p in iam.list_saml_providers()["SAMLProviderList"]):
            iam.create_saml_provider(SAMLMetadataDocument=METADATA, Name=PROVIDER_NAME)
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        if isinstance(trust, str):
            trust = json.loads(trust)
        trust["Statement"].append(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn(account)},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": AUDIENCE}},
            }
        )
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    return {"provider": PROVIDER_NAME, "path": IDP_PATH}


# --- assertions ------------------------------------------------------------------------


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def response_xml(
    pairs: list[tuple[str, str]],
    session_name: str = "alice@example.com",
    duration: int | None = None,
    now: float | None = None,
    validity: float = VALIDITY,
) -> str:
    """A samlp:Response as ADFS sends AWS (unsigned). Every second pair is written
    provider-first: AWS accepts both orders, and so must whoever reads it."""
    import time

    now = time.time() if now is None else now
    values = "".join(
        f"<AttributeValue>{escape(p)},{escape(r)}</AttributeValue>"
        if i % 2
        else f"<AttributeValue>{escape(r)},{escape(p)}</AttributeValue>"
        for i, (r, p) in enumerate(pairs)
    )
    extra = (
        f'<Attribute Name="{DURATION_ATTR}"><AttributeValue>{duration}</AttributeValue></Attribute>'
        if duration is not None
        else ""
    )
    rid, aid = "_" + secrets.token_hex(16), "_" + secrets.token_hex(16)
    return (
        f'<samlp:Response xmlns:samlp="{PROTOCOL_NS}" ID="{rid}" Version="2.0" '
        f'IssueInstant="{_iso(now)}" Destination="{AUDIENCE}">'
        f'<Issuer xmlns="{ASSERTION_NS}">http://idp.fakeaws.test/adfs/services/trust</Issuer>'
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f'<Assertion xmlns="{ASSERTION_NS}" ID="{aid}" IssueInstant="{_iso(now)}" Version="2.0">'
        "<Issuer>http://idp.fakeaws.test/adfs/services/trust</Issuer>"
        f'<Subject><NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{escape(session_name)}</NameID>'
        '<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<SubjectConfirmationData NotOnOrAfter="{_iso(now + validity)}" Recipient="{AUDIENCE}"/>'
        "</SubjectConfirmation></Subject>"
        f'<Conditions NotBefore="{_iso(now - 60)}" NotOnOrAfter="{_iso(now + validity)}">'
        "<AudienceRestriction><Audience>urn:amazon:webservices</Audience></AudienceRestriction></Conditions>"
        "<AttributeStatement>"
        f'<Attribute Name="{SESSION_NAME_ATTR}"><AttributeValue>{escape(session_name)}</AttributeValue></Attribute>'
        f'<Attribute Name="{ROLE_ATTR}">{values}</Attribute>{extra}'
        "</AttributeStatement>"
        f'<AuthnStatement AuthnInstant="{_iso(now)}" SessionIndex="{aid}"><AuthnContext>'
        "<AuthnContextClassRef>urn:federation:authentication:windows</AuthnContextClassRef>"
        "</AuthnContext></AuthnStatement></Assertion></samlp:Response>"
    )


def encode(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


class Invalid(Exception):
    """An assertion AWS would refuse as malformed."""


class Read:
    def __init__(self, pairs, session_name, duration, not_on_or_after):
        self.pairs: list[tuple[str, str]] = pairs  # (role ARN, provider ARN)
        self.session_name: str | None = session_name
        self.duration: int | None = duration
        self.not_on_or_after: float | None = not_on_or_after


def read(saml_response: str) -> Read:
    """What AWS reads from a base64 SAMLResponse (namespace-aware, any prefix)."""
    try:
        root = ET.fromstring(base64.b64decode(saml_response, validate=False))
    except (ValueError, ET.ParseError) as err:
        raise Invalid(f"Invalid SAML response: {err}") from None
    a = f"{{{ASSERTION_NS}}}"
    if root.tag != f"{{{PROTOCOL_NS}}}Response":
        raise Invalid("Invalid SAML response: not a samlp:Response")
    assertion = root.find(f"{a}Assertion")
    if assertion is None:
        raise Invalid("Invalid SAML response: no assertion")
    pairs, session_name, duration = [], None, None
    for attribute in assertion.iter(f"{a}Attribute"):
        values = [(v.text or "").strip() for v in attribute.findall(f"{a}AttributeValue")]
        name = attribute.get("Name")
        if name == ROLE_ATTR:
            for value in values:
                first, _, second = value.partition(",")
                first, second = first.strip(), second.strip()
                role, provider = (second, first) if ":saml-provider/" in first else (first, second)
                pairs.append((role, provider))
        elif name == SESSION_NAME_ATTR and values:
            session_name = values[0]
        elif name == DURATION_ATTR and values:
            duration = int(values[0])
    limits = [
        e.get("NotOnOrAfter")
        for e in assertion.iter()
        if e.tag in (f"{a}SubjectConfirmationData", f"{a}Conditions") and e.get("NotOnOrAfter")
    ]
    ends = [
        datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        for t in limits
    ]
    return Read(pairs, session_name, duration, min(ends) if ends else None)


# --- the identity provider -------------------------------------------------------------------


class Idp:
    """Issues SAML responses for the seeded roles and remembers them (for canary tests)."""

    def __init__(self, roles: dict[str, str]):
        self.roles = roles  # key -> role ARN
        self._lock = threading.Lock()
        self.issued: list[str] = []

    def issue(self, params: dict[str, str]) -> str:
        import time

        keys = [k for k in params.get("roles", "prod,dev,audit").split(",") if k]
        arns = [self.roles.get(k, k) for k in keys]
        duration = int(params["duration"]) if params.get("duration") else None
        now = time.time() - (2 * VALIDITY if params.get("expired") == "1" else 0)
        xml = response_xml(
            [(arn, provider_arn(_account(arn))) for arn in arns],
            session_name=params.get("session") or "alice@example.com",
            duration=duration,
            now=now,
        )
        response = encode(xml)
        with self._lock:
            self.issued.append(response)
        return response

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.issued)


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


def idp_page(action: str, saml_response: str) -> bytes:
    """ADFS's IdP-initiated sign-on result: a form that posts itself to AWS on load."""
    return _page(
        "Working...",
        f"""<form id="saml" method="POST" action="{escape(action)}">
<input type="hidden" name="SAMLResponse" value="{escape(saml_response)}">
<input type="hidden" name="RelayState" value="">
<noscript><button type="submit">Continue to AWS</button></noscript>
</form>
<script>document.getElementById('saml').submit();</script>""",
    )


def chooser_page(pairs: list[tuple[str, str]]) -> bytes:
    """What AWS's /saml shows for several roles: one radio button per role."""
    rows = "\n".join(
        f'<li><label><input type="radio" name="roleIndex" value="{escape(role)}"> '
        f'<span class="account">{escape(_account(role))}</span> '
        f'<span class="role">{escape(role.rsplit("/", 1)[1])}</span></label></li>'
        for role, _ in pairs
    )
    return _page(
        "Amazon Web Services Sign-In",
        f'<h1>Select a role:</h1>\n<ul id="roles">\n{rows}\n</ul>',
    )


# --- moto ------------------------------------------------------------------------------


def install() -> None:
    """Replace moto's AssumeRoleWithSAML (see the module docstring)."""
    import time

    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError, STSValidationError
    from moto.sts.models import AssumedRole, sts_backends
    from moto.sts.responses import TokenResponse
    from moto.core.responses import ActionResult

    def assume_role_with_saml(self):
        role_arn = self._get_param("RoleArn") or ""
        principal_arn = self._get_param("PrincipalArn") or ""
        try:
            assertion = read(self._get_param("SAMLAssertion") or "")
        except Invalid as err:
            raise STSClientError("InvalidIdentityToken", str(err)) from None
        if (role_arn, principal_arn) not in assertion.pairs:
            raise STSClientError(
                "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML (role not in assertion)"
            )
        if assertion.not_on_or_after is not None and assertion.not_on_or_after <= time.time():
            raise STSClientError("ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance")
        account = _account(role_arn)
        iam = iam_backends[account]["aws"]
        try:
            iam.get_saml_provider(principal_arn)
            role = iam.get_role_by_arn(role_arn)
        except Exception:  # moto's NotFoundException; AWS says AccessDenied
            raise STSClientError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML") from None
        trust = json.loads(role.assume_role_policy_document)
        trusted = any(
            s.get("Effect") == "Allow"
            and "sts:AssumeRoleWithSAML" in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
            and principal_arn in (lambda f: [f] if isinstance(f, str) else f)(s.get("Principal", {}).get("Federated", []))
            for s in trust.get("Statement", [])
        )
        if not trusted:
            raise STSClientError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
        duration = self._get_int_param("DurationSeconds", 3600)
        if not 900 <= duration <= int(role.max_session_duration):
            raise STSValidationError(
                f"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        backend = sts_backends[account]["aws"]
        _, access_key = backend._create_access_key(role=role_arn)
        assumed = AssumedRole(
            account_id=account,
            region_name=self.region,
            access_key=access_key,
            role_session_name=assertion.session_name or "saml",
            role_arn=role_arn,
            policy=None,
            duration=duration,
            external_id=None,
        )
        backend.assumed_roles.append(assumed)
        return ActionResult(
            {
                "Credentials": assumed,
                "AssumedRoleUser": {"AssumedRoleId": assumed.user_id, "Arn": assumed.arn},
                "PackedPolicySize": 0,
                "Subject": assertion.session_name,
                "SubjectType": "persistent",
                "Issuer": "http://idp.fakeaws.test/adfs/services/trust",
                "Audience": AUDIENCE,
                "NameQualifier": base64.b64encode(f"{account}/{PROVIDER_NAME}".encode()).decode(),
            }
        )

    TokenResponse.assume_role_with_saml = assume_role_with_saml
