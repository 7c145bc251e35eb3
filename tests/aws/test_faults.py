"""The test AWS misbehaving on purpose (emu_faults.py): each STS fault in the shape botocore
parses, the federation endpoint's, the next-N bookkeeping and the attempt counts."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError
from conftest import SIGNIN


@pytest.fixture
def faulty(fresh_emu):
    """A private emulator (faults and counts are process-wide), cleared after the test."""
    yield fresh_emu
    fresh_emu.control("POST", "/_stub/faults/clear")


def attempts(emu) -> dict:
    return emu.control("GET", "/_stub/attempts")["attempts"]


def sts(emu, retries: dict | None = None, creds: dict | None = None):
    """alice's STS client; one attempt per call unless `retries` says otherwise (conftest's
    legacy-mode client retries once)."""
    import boto3
    from botocore.config import Config

    user = emu.info["user"]
    creds = creds or {"AccessKeyId": user["access_key_id"], "SecretAccessKey": user["secret_access_key"]}
    return boto3.client(
        "sts", endpoint_url=emu.info["moto"], region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        config=Config(retries=retries or {"mode": "standard", "total_max_attempts": 1}),
    )


def assume(emu, role: str = "prod") -> dict:
    return sts(emu).assume_role(RoleArn=emu.info["roles"][role], RoleSessionName="alice")["Credentials"]


@pytest.mark.parametrize("fault,status,code", [
    ("throttling", 400, "Throttling"),
    ("too_many_requests", 429, "TooManyRequestsException"),
    ("internal", 500, "InternalFailure"),
    ("unavailable", 503, "ServiceUnavailable"),
])
def test_sts_faults_are_in_stss_error_shape_for_the_next_n_calls(faulty, fault, status, code):
    faulty.control("POST", "/_stub/faults", target="AssumeRole", fault=fault, count=2)
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            assume(faulty)
        error = raised.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert assume(faulty)["AccessKeyId"].startswith("ASIA")  # the third call gets through
    assert attempts(faulty)["AssumeRole"] == 3


def test_botocores_own_retries_see_the_throttle_as_one(faulty):
    """botocore's standard retry mode classifies the answers as AWS's own: it retries
    throttling and 5xx, so its attempts show in the count."""
    client = sts(faulty, {"mode": "standard", "total_max_attempts": 3})
    faulty.control("POST", "/_stub/faults", target="sts", fault="unavailable", count=2)
    assert client.get_session_token()["Credentials"]["AccessKeyId"]
    faulty.control("POST", "/_stub/faults", target="GetFederationToken", fault="throttling", count=-1)
    with pytest.raises(ClientError) as raised:
        client.get_federation_token(Name="bob")
    assert raised.value.response["Error"]["Code"] == "Throttling"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert attempts(faulty) == {"GetSessionToken": 3, "GetFederationToken": 3}


def test_a_target_fault_leaves_other_actions_alone_and_retry_after_is_sent(faulty):
    faulty.control("POST", "/_stub/faults", target="GetFederationToken", fault="too_many_requests",
                   count=1, retry_after=7)
    assert assume(faulty)
    with pytest.raises(ClientError) as raised:
        sts(faulty).get_federation_token(Name="bob")
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "7"


def test_stub_calls_are_neither_faulted_nor_counted(faulty):
    """The federation stub's own GetCallerIdentity check still works under an `sts` fault."""
    creds = assume(faulty)
    faulty.control("POST", "/_stub/faults", target="GetCallerIdentity", fault="internal", count=-1)
    assert faulty.get_token(creds).status == 200
    assert "GetCallerIdentity" not in attempts(faulty)


@pytest.mark.parametrize("fault,status", [
    ("throttling", 400), ("too_many_requests", 429), ("internal", 500), ("unavailable", 503),
])
def test_getsignintoken_faults_for_the_next_n_calls(faulty, fault, status):
    creds = assume(faulty)
    faulty.control("POST", "/_stub/faults", target="getSigninToken", fault=fault, count=1,
                   retry_after=2)
    refused = faulty.get_token(creds)
    assert refused.status == status
    assert refused.headers["Retry-After"] == "2"
    assert faulty.get_token(creds).status == 200
    assert attempts(faulty)["getSigninToken"] == 2
    outcomes = [r["outcome"] for r in faulty.control("GET", "/_stub/requests")["requests"]]
    assert outcomes[-2:] == [f"fault: {fault}", "ok"]


def test_a_hung_call_answers_only_once_the_faults_are_cleared(faulty):
    creds = assume(faulty)
    faulty.control("POST", "/_stub/faults", target="getSigninToken", fault="hang", count=1)
    answers = []
    caller = threading.Thread(target=lambda: answers.append(faulty.get_token(creds, host=SIGNIN)))
    caller.start()
    caller.join(1)
    assert caller.is_alive() and not answers  # it hangs (a fixed wait proves only "not yet")
    faulty.control("POST", "/_stub/faults/clear")
    caller.join(10)
    assert [a.status for a in answers] == [503]


def test_unknown_targets_and_faults_are_refused(faulty):
    for params in ({"target": "DeleteRole", "fault": "internal"}, {"target": "sts", "fault": "slow"}):
        reply = faulty.request("POST", "/_stub/faults", "127.0.0.1", params)
        assert reply.status == 400, reply.text
