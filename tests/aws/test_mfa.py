"""The virtual MFA device moto creates for alice, and GetSessionToken checking its codes
the way AWS does (moto alone accepts any TokenCode)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import emu_totp


def test_totp_matches_rfc_6238_reference_vector():
    # RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 s → 94287082 (8 digits).
    seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert emu_totp.code(seed, at=59) == "287082"


def test_session_token_needs_the_current_code_once(fresh_emu):
    mfa = fresh_emu.info["mfa"]
    sts = fresh_emu.sts()
    with pytest.raises(ClientError) as wrong:
        sts.get_session_token(SerialNumber=mfa["serial"], TokenCode="000000")
    assert wrong.value.response["Error"]["Code"] == "AccessDenied"
    code = fresh_emu.control("GET", "/_stub/totp", serial=mfa["serial"])["code"]
    assert code == emu_totp.code(mfa["seed"])
    creds = sts.get_session_token(SerialNumber=mfa["serial"], TokenCode=code)["Credentials"]
    assert creds["SessionToken"]
    with pytest.raises(ClientError):
        sts.get_session_token(SerialNumber=mfa["serial"], TokenCode=code)


def test_session_credentials_can_assume_a_role(fresh_emu):
    mfa = fresh_emu.info["mfa"]
    code = fresh_emu.control("GET", "/_stub/totp", serial=mfa["serial"])["code"]
    session = fresh_emu.sts().get_session_token(SerialNumber=mfa["serial"], TokenCode=code)["Credentials"]
    role = fresh_emu.assume("prod", creds=session)
    assert fresh_emu.sts(role).get_caller_identity()["Account"] == "111111111111"


def test_partner_role_is_seeded_with_its_external_id(fresh_emu):
    assert fresh_emu.info["roles"]["partner"].endswith(":role/Partner")
    assert fresh_emu.info["partner_external_id"] == "roleport-ext-42"


def test_iam_auth_refusals_use_the_query_protocol_error_shape(fresh_emu):
    """The Rust SDK parses only STS's own shape; moto's default (EC2's) would hide the code."""
    import urllib.error
    import urllib.request

    moto = fresh_emu.info["moto"]
    reset = urllib.request.Request(f"{moto}/moto-api/reset-auth", data=b"0", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(reset).read()
    with pytest.raises(ClientError) as denied:
        fresh_emu.sts().assume_role(RoleArn="arn:aws:iam::444444444444:role/Nope", RoleSessionName="xy")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    forged = urllib.request.Request(
        f"{moto}/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFORGED0000000000/20260101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=00",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged)
    body = refused.value.read().decode()
    assert "<ErrorResponse><Error>" in body.replace("\n", "") and "<Errors>" not in body, body
