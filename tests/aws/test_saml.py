"""The stub SAML identity provider, AWS's /saml endpoint and AssumeRoleWithSAML on moto,
driven with requests-over-http.client and boto3 as the product and a browser would."""

from __future__ import annotations

import datetime
import html
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import emu_saml

IDP = "idp.fakeaws.test"


def unsigned_sts(emu):
    """AssumeRoleWithSAML needs no credentials: the assertion is the proof."""
    from botocore import UNSIGNED

    return boto3.client(
        "sts",
        endpoint_url=emu.info["moto"],
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def idp_post(emu, **params) -> tuple[str, str]:
    """Loads the IdP page; returns the form's action and its SAMLResponse."""
    reply = emu.request("GET", emu_saml.IDP_PATH, IDP, params or None)
    assert reply.status == 200, reply.text
    action = html.unescape(re.search(r'action="([^"]+)"', reply.text).group(1))
    value = html.unescape(re.search(r'name="SAMLResponse" value="([^"]+)"', reply.text).group(1))
    assert "document.getElementById('saml').submit()" in reply.text, "the page posts itself"
    return action, value


def assume(emu, response: str, role: str, provider: str | None = None, **extra) -> dict:
    arn = emu.info["roles"].get(role, role)
    provider = provider or emu_saml.provider_arn(arn.split(":")[4])
    return unsigned_sts(emu).assume_role_with_saml(
        RoleArn=arn, PrincipalArn=provider, SAMLAssertion=response, **extra
    )


def test_the_idp_posts_a_response_with_every_demo_role_to_the_signin_hosts_saml(emu):
    action, response = idp_post(emu)
    assert action == f"http://signin.fakeaws.test:{emu.port}/saml"
    read = emu_saml.read(response)
    roles = emu.info["roles"]
    assert sorted(read.pairs) == sorted(
        (roles[k], emu_saml.provider_arn(roles[k].split(":")[4])) for k in ("prod", "dev", "audit")
    )
    assert read.session_name == "alice@example.com"
    assert read.not_on_or_after > datetime.datetime.now(datetime.timezone.utc).timestamp()
    # Some values are written provider-first, as IdPs may: both orders must be handled.
    xml = __import__("base64").b64decode(response).decode()
    assert ">arn:aws:iam::222222222222:saml-provider/" in xml
    assert response in emu.control("GET", "/_stub/saml/responses")["responses"]


def test_the_signin_hosts_saml_page_lists_the_roles_like_awss_chooser(emu):
    _, response = idp_post(emu, roles="prod,dev")
    reply = emu.request("POST", "/saml", "signin.fakeaws.test", form={"SAMLResponse": response})
    assert reply.status == 200, reply.text
    assert reply.text.count('name="roleIndex"') == 2
    assert emu.info["roles"]["prod"] in reply.text and emu.info["roles"]["dev"] in reply.text
    bad = emu.request("POST", "/saml", "signin.fakeaws.test", form={"SAMLResponse": "bm90IHhtbA=="})
    assert bad.status == 400


def test_each_role_of_one_assertion_is_assumed_and_signs_in_to_its_own_console(emu):
    _, response = idp_post(emu)
    for key, account, name in (("prod", "111111111111", "Admin"), ("dev", "222222222222", "Developer")):
        answer = assume(emu, response, key)
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/alice@example.com"
        creds = answer["Credentials"]
        # STS itself knows the session ...
        who = emu.sts(creds).get_caller_identity()
        assert (who["Account"], who["Arn"]) == (account, answer["AssumedRoleUser"]["Arn"])
        # ... and the federation stub turns it into that role's console.
        page = emu.console(emu.sign_in(creds, SessionDuration="3600"))
        assert page.status == 200, page.text
        assert f'<span id="account">{account}</span>' in page.text
        assert f'<span id="role">{name}</span>' in page.text


def test_duration_seconds_is_honoured_up_to_the_roles_maximum(emu):
    _, response = idp_post(emu, roles="prod", duration="28800")
    assert emu_saml.read(response).duration == 28800
    creds = assume(emu, response, "prod", DurationSeconds=28800)["Credentials"]
    left = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(hours=7, minutes=55) < left <= datetime.timedelta(hours=8)
    with pytest.raises(ClientError) as err:
        assume(emu, response, "prod", DurationSeconds=43201)
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_a_role_or_provider_outside_the_assertion_is_refused(emu):
    _, response = idp_post(emu, roles="prod")
    for role, provider in (
        ("dev", None),  # a real role and provider, but not in this assertion
        ("prod", "arn:aws:iam::111111111111:saml-provider/other"),
        ("partner", None),  # in no assertion, and trusts no provider
    ):
        with pytest.raises(ClientError) as err:
            assume(emu, response, role, provider)
        assert err.value.response["Error"]["Code"] == "AccessDenied", (role, provider)


def test_a_provider_the_role_does_not_trust_is_refused(emu):
    # The pair is in the assertion, the provider exists, but the role's trust policy does not
    # name it: AWS refuses, and so must the stub, or a test could not catch a wrong pair.
    arn = "arn:aws:iam::123456789012:role/Partner"
    response = emu_saml.encode(emu_saml.response_xml([(arn, emu_saml.provider_arn("111111111111"))]))
    with pytest.raises(ClientError) as err:
        assume(emu, response, arn, emu_saml.provider_arn("111111111111"))
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_an_expired_assertion_is_refused_with_awss_code(emu):
    _, response = idp_post(emu, roles="prod", expired="1")
    with pytest.raises(ClientError) as err:
        assume(emu, response, "prod")
    assert err.value.response["Error"]["Code"] == "ExpiredTokenException"
