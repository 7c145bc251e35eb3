"""Cognito in the test AWS (emu_cognito.py), driven by boto3's own clients and by
pycognito's SRP client (an implementation independent of roleport's): real SRP is
checked, wrong passwords are refused, and identity pool credentials are ones the
federation stub accepts."""

from __future__ import annotations

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP


def client(emu, service: str):
    return boto3.client(
        service,
        endpoint_url=emu.info["moto"],
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def srp_login(emu, password: str) -> dict:
    cog = emu.info["cognito"]
    srp = AWSSRP(
        username=cog["username"], password=password, pool_id=cog["user_pool_id"],
        client_id=cog["client_id"], client=client(emu, "cognito-idp"),
    )
    return srp.authenticate_user()["AuthenticationResult"]


def provider(emu) -> str:
    return f"cognito-idp.us-east-1.amazonaws.com/{emu.info['cognito']['user_pool_id']}"


def identity(emu, id_token: str) -> tuple[object, str, dict]:
    ci = client(emu, "cognito-identity")
    logins = {provider(emu): id_token}
    identity_id = ci.get_id(IdentityPoolId=emu.info["cognito"]["identity_pool_id"], Logins=logins)["IdentityId"]
    return ci, identity_id, logins


def test_srp_with_the_right_password_signs_in(emu):
    tokens = srp_login(emu, emu.info["cognito"]["password"])
    assert tokens["IdToken"].count(".") == 2
    assert tokens["RefreshToken"]


def test_srp_with_a_wrong_password_is_not_authorized(emu):
    with pytest.raises(ClientError) as err:
        srp_login(emu, "not-the-password")
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_secret_block_is_single_use(emu):
    cog = emu.info["cognito"]
    idp = client(emu, "cognito-idp")
    srp = AWSSRP(
        username=cog["username"], password=cog["password"], pool_id=cog["user_pool_id"],
        client_id=cog["client_id"], client=idp,
    )
    challenge = idp.initiate_auth(
        AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params(), ClientId=cog["client_id"]
    )
    answer = srp.process_challenge(challenge["ChallengeParameters"], srp.get_auth_params())
    idp.respond_to_auth_challenge(ClientId=cog["client_id"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    with pytest.raises(ClientError) as err:
        idp.respond_to_auth_challenge(ClientId=cog["client_id"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_enhanced_flow_credentials_are_real_role_sessions_in_the_roles_account(emu):
    tokens = srp_login(emu, emu.info["cognito"]["password"])
    ci, identity_id, logins = identity(emu, tokens["IdToken"])
    creds = ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    sts_creds = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretKey"],
                 "SessionToken": creds["SessionToken"]}
    who = emu.sts(sts_creds).get_caller_identity()
    assert who["Account"] == emu.info["cognito"]["account_id"]
    assert ":assumed-role/CognitoUser/" in who["Arn"]
    # The federation stub takes them: they are credentials moto issued.
    emu.token(sts_creds)


def test_custom_role_arn_must_be_one_of_the_tokens_roles(emu):
    cog = emu.info["cognito"]
    tokens = srp_login(emu, cog["password"])
    ci, identity_id, logins = identity(emu, tokens["IdToken"])
    creds = ci.get_credentials_for_identity(
        IdentityId=identity_id, Logins=logins, CustomRoleArn=cog["admin_role"]
    )["Credentials"]
    who = emu.sts({"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretKey"],
                   "SessionToken": creds["SessionToken"]}).get_caller_identity()
    assert ":assumed-role/CognitoAdmin/" in who["Arn"]
    with pytest.raises(ClientError) as err:
        ci.get_credentials_for_identity(
            IdentityId=identity_id, Logins=logins,
            CustomRoleArn=f"arn:aws:iam::{cog['account_id']}:role/Elsewhere",
        )
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_identity_credentials_need_a_token_the_user_pool_issued(emu):
    tokens = srp_login(emu, emu.info["cognito"]["password"])
    ci, identity_id, _ = identity(emu, tokens["IdToken"])
    forged = tokens["IdToken"][:-4] + "AAAA"
    for logins in ({}, {provider(emu): forged}, {"cognito-idp.us-east-1.amazonaws.com/us-east-1_other": tokens["IdToken"]}):
        with pytest.raises(ClientError) as err:
            ci.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
        assert err.value.response["Error"]["Code"] == "NotAuthorizedException", logins


def test_basic_flow_open_id_token_assumes_a_role_with_web_identity(emu):
    cog = emu.info["cognito"]
    tokens = client(emu, "cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=cog["client_id"],
        AuthParameters={"USERNAME": cog["username"], "PASSWORD": cog["password"]},
    )["AuthenticationResult"]
    ci, identity_id, logins = identity(emu, tokens["IdToken"])
    token = ci.get_open_id_token(IdentityId=identity_id, Logins=logins)["Token"]
    sts = client(emu, "sts")
    creds = sts.assume_role_with_web_identity(
        RoleArn=cog["role"], RoleSessionName="carol", WebIdentityToken=token
    )["Credentials"]
    emu.token(creds)
    # A token shaped like Cognito Identity's that it never issued is refused.
    forged = token.rsplit(".", 1)[0] + ".forged"
    with pytest.raises(ClientError) as err:
        sts.assume_role_with_web_identity(RoleArn=cog["role"], RoleSessionName="forger", WebIdentityToken=forged)
    assert err.value.response["Error"]["Code"] == "InvalidIdentityToken"


def test_identity_pool_roles_read_back(emu):
    cog = emu.info["cognito"]
    roles = client(emu, "cognito-identity").get_identity_pool_roles(IdentityPoolId=cog["identity_pool_id"])
    assert roles["Roles"] == {"authenticated": cog["role"]}


def test_token_lifetimes_follow_the_app_clients_validity(emu):
    import base64
    import json
    import time

    cog = emu.info["cognito"]
    idp = client(emu, "cognito-idp")

    def id_token_seconds(client_id: str) -> int:
        tokens = idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
            AuthParameters={"USERNAME": cog["username"], "PASSWORD": cog["password"]},
        )["AuthenticationResult"]
        payload = tokens["IdToken"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert tokens["ExpiresIn"] == claims["exp"] - claims["iat"]
        return claims["exp"] - int(time.time())

    assert 3590 <= id_token_seconds(cog["client_id"]) <= 3600
    assert 290 <= id_token_seconds(cog["short_client_id"]) <= 300


def test_a_global_sign_out_revokes_the_refresh_token(fresh_emu):
    emu = fresh_emu  # signs carol out everywhere: not in the shared emulator
    cog = emu.info["cognito"]
    idp = client(emu, "cognito-idp")
    tokens = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=cog["client_id"],
        AuthParameters={"USERNAME": cog["username"], "PASSWORD": cog["password"]},
    )["AuthenticationResult"]
    refresh = {"REFRESH_TOKEN": tokens["RefreshToken"]}
    idp.initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=cog["client_id"], AuthParameters=refresh)
    boto3.client(
        "cognito-idp", endpoint_url=emu.info["moto"], region_name="us-east-1",
        aws_access_key_id="admin", aws_secret_access_key="admin",
    ).admin_user_global_sign_out(UserPoolId=cog["user_pool_id"], Username=cog["username"])
    with pytest.raises(ClientError) as err:
        idp.initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=cog["client_id"], AuthParameters=refresh)
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"
