"""The IAM Identity Center stub (emu_sso.py) driven by boto3's own `sso` and
`sso-oidc` clients: if botocore can parse every answer and error, the stub speaks
AWS's wire format (botocore's service models), not our guess of it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
START_URL = "https://d-1234567890.awsapps.com/start"


def client(emu, service: str):
    return boto3.client(
        service,
        endpoint_url=emu.info["sso"],
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def control(emu, method: str, route: str, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    req = urllib.request.Request(f"{emu.info['sso']}/_sso/{route}?{query}", method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def register(oidc, scopes=("sso:account:access",)) -> dict:
    return oidc.register_client(clientName="test", clientType="public", scopes=list(scopes))


def device_login(emu, scopes=("sso:account:access",)) -> tuple[dict, dict]:
    """RegisterClient → StartDeviceAuthorization → approve → CreateToken."""
    oidc = client(emu, "sso-oidc")
    reg = register(oidc, scopes)
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
    )
    control(emu, "POST", "approve", user_code=auth["userCode"])
    token = oidc.create_token(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType=DEVICE_GRANT,
        deviceCode=auth["deviceCode"],
    )
    return reg, token


def test_register_and_start_device_authorization_shapes(emu):
    oidc = client(emu, "sso-oidc")
    reg = register(oidc)
    assert reg["clientId"] and reg["clientSecret"]
    assert reg["clientSecretExpiresAt"] > reg["clientIdIssuedAt"] > 0
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
    )
    assert auth["interval"] == 1 and auth["expiresIn"] == 600
    assert auth["verificationUriComplete"].endswith("user_code=" + auth["userCode"])
    page = urllib.request.urlopen(auth["verificationUriComplete"], timeout=10).read().decode()
    assert auth["userCode"] in page


def test_wrong_client_secret_is_invalid_client(emu):
    oidc = client(emu, "sso-oidc")
    reg = register(oidc)
    with pytest.raises(oidc.exceptions.InvalidClientException):
        oidc.start_device_authorization(clientId=reg["clientId"], clientSecret="nope", startUrl=START_URL)


def test_device_flow_pending_then_slow_down_then_token(emu):
    oidc = client(emu, "sso-oidc")
    reg = register(oidc)
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
    )
    ask = dict(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType=DEVICE_GRANT,
               deviceCode=auth["deviceCode"])
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        oidc.create_token(**ask)
    assert pending.value.response["error"] == "authorization_pending"
    # Polling again at once, faster than `interval`, earns slow_down (+5 s).
    with pytest.raises(oidc.exceptions.SlowDownException):
        oidc.create_token(**ask)
    devices = {d["user_code"]: d for d in control(emu, "GET", "devices")["devices"]}
    assert devices[auth["userCode"]]["interval"] == 6
    control(emu, "POST", "approve", user_code=auth["userCode"])
    time.sleep(6)
    token = oidc.create_token(**ask)
    assert token["tokenType"] == "Bearer" and token["expiresIn"] == 3600
    assert token["refreshToken"]
    # A device code is good for one token.
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**ask)


def test_denied_and_expired_device_codes(emu):
    oidc = client(emu, "sso-oidc")
    reg = register(oidc)
    for outcome, route in (("AccessDeniedException", "deny"), ("ExpiredTokenException", "expire")):
        auth = oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
        )
        control(emu, "POST", route, user_code=auth["userCode"])
        with pytest.raises(getattr(oidc.exceptions, outcome)):
            oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                              grantType=DEVICE_GRANT, deviceCode=auth["deviceCode"])


def test_refresh_token_grant_rotates(emu):
    reg, token = device_login(emu)
    oidc = client(emu, "sso-oidc")
    fresh = oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                              grantType="refresh_token", refreshToken=token["refreshToken"])
    assert fresh["accessToken"] != token["accessToken"]
    assert fresh["refreshToken"] != token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                          grantType="refresh_token", refreshToken=token["refreshToken"])


def test_legacy_client_without_scopes_gets_no_refresh_token(emu):
    _, token = device_login(emu, scopes=())
    assert "refreshToken" not in token


def test_portal_lists_and_hands_out_moto_credentials(emu):
    _, token = device_login(emu)
    sso = client(emu, "sso")
    accounts = sso.list_accounts(accessToken=token["accessToken"])["accountList"]
    assert [a["accountId"] for a in accounts] == ["100000000001", "100000000002", "100000000003"]
    roles = sso.list_account_roles(accessToken=token["accessToken"], accountId="100000000002")["roleList"]
    assert [r["roleName"] for r in roles] == ["AdministratorAccess", "ReadOnlyAccess"]
    creds = sso.get_role_credentials(
        accessToken=token["accessToken"], accountId="100000000002", roleName="ReadOnlyAccess"
    )["roleCredentials"]
    assert creds["expiration"] > time.time() * 1000
    # Real moto credentials: STS knows who they are, and the federation stub takes them.
    moto_creds = {"AccessKeyId": creds["accessKeyId"], "SecretAccessKey": creds["secretAccessKey"],
                  "SessionToken": creds["sessionToken"]}
    who = emu.sts(moto_creds).get_caller_identity()
    assert who["Arn"].startswith("arn:aws:sts::100000000002:assumed-role/ReadOnlyAccess/")
    page = emu.console(emu.sign_in(moto_creds))
    assert page.status == 200 and '<span id="account">100000000002</span>' in page.text
    requests = control(emu, "GET", "requests")["requests"]
    assert any(r["operation"] == "GetRoleCredentials" and r["bearer_present"] for r in requests)
    assert token["accessToken"] not in json.dumps(requests)


def test_portal_errors(emu):
    _, token = device_login(emu)
    sso = client(emu, "sso")
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken="not-a-token")
    with pytest.raises(sso.exceptions.ResourceNotFoundException):
        sso.list_account_roles(accessToken=token["accessToken"], accountId="999999999999")
    sso.logout(accessToken=token["accessToken"])
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=token["accessToken"])


def test_seeded_org_paginates_with_boto3_paginators(fresh_emu):
    control(fresh_emu, "POST", "seed", accounts=45, roles=3)
    _, token = device_login(fresh_emu)
    sso = client(fresh_emu, "sso")
    pages = list(sso.get_paginator("list_accounts").paginate(
        accessToken=token["accessToken"], PaginationConfig={"PageSize": 10}))
    assert len(pages) == 5
    assert sum(len(p["accountList"]) for p in pages) == 45
    first = pages[0]["accountList"][0]["accountId"]
    roles = [r for p in sso.get_paginator("list_account_roles").paginate(
        accessToken=token["accessToken"], accountId=first, PaginationConfig={"PageSize": 2})
        for r in p["roleList"]]
    assert len(roles) == 3


def test_rate_limit_answers_429(fresh_emu):
    _, token = device_login(fresh_emu)
    control(fresh_emu, "POST", "settings", rate_limit=2)
    sso = client(fresh_emu, "sso")
    with pytest.raises(sso.exceptions.TooManyRequestsException):
        for _ in range(5):
            sso.list_accounts(accessToken=token["accessToken"])


def test_throttling_answers_carry_retry_after_when_set(fresh_emu):
    _, token = device_login(fresh_emu)
    control(fresh_emu, "POST", "settings", rate_limit=1, retry_after=2)
    # No retry: on a slow machine boto3's one retry can land in the next second and pass.
    sso = boto3.client("sso", endpoint_url=fresh_emu.info["sso"], region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    sso.list_accounts(accessToken=token["accessToken"])
    with pytest.raises(sso.exceptions.TooManyRequestsException) as caught:
        sso.list_accounts(accessToken=token["accessToken"])
    headers = caught.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["retry-after"] == "2"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_injected_server_errors_are_500_then_recover(fresh_emu):
    _, token = device_login(fresh_emu)
    control(fresh_emu, "POST", "settings", fail_next=2)
    sso = boto3.client("sso", endpoint_url=fresh_emu.info["sso"], region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    for _ in range(2):
        with pytest.raises(sso.exceptions.ClientError) as caught:
            sso.list_accounts(accessToken=token["accessToken"])
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert caught.value.response["Error"]["Code"] == "InternalServerException"
    assert sso.list_accounts(accessToken=token["accessToken"])["accountList"]


def test_page_size_is_limited_as_in_the_model(fresh_emu):
    _, token = device_login(fresh_emu)
    control(fresh_emu, "POST", "seed", accounts=150, roles=1)
    sso = client(fresh_emu, "sso")
    page = sso.list_accounts(accessToken=token["accessToken"], maxResults=100)
    assert len(page["accountList"]) == 100 and "nextToken" in page
    # botocore itself refuses 101 (the model's range), so send it raw.
    req = urllib.request.Request(f"{fresh_emu.info['sso']}/assignment/accounts?max_result=101",
                                 headers={"x-amz-sso_bearer_token": token["accessToken"]})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=10)
    assert caught.value.code == 400


def test_clock_advance_expires_tokens_and_device_codes(fresh_emu):
    _, token = device_login(fresh_emu)
    oidc = client(fresh_emu, "sso-oidc")
    reg = register(oidc)
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
    )
    control(fresh_emu, "POST", "advance", seconds=3601)
    with pytest.raises(client(fresh_emu, "sso").exceptions.UnauthorizedException):
        client(fresh_emu, "sso").list_accounts(accessToken=token["accessToken"])
    with pytest.raises(oidc.exceptions.ExpiredTokenException):
        oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                          grantType=DEVICE_GRANT, deviceCode=auth["deviceCode"])
