"""Demo data for the test AWS environment, created in moto through boto3.

moto keeps one set of backends per account. A request is put in an account by, in
order: the MOTO_ACCOUNT_ID environment variable (awsemu clears it, since it would
force every request into one account), the `x-moto-account-id` header, then the
account owning the access key that signed it, else 123456789012. Seeding uses the
header; the roles' own sessions land in the role's account because moto's
AssumeRole takes the account from the role ARN.
"""

from __future__ import annotations

import json

import boto3

USER_ACCOUNT = "123456789012"
USER_NAME = "alice"

# name used by the tests -> (account, role name)
DEMO_ROLES = {
    "prod": ("111111111111", "Admin"),
    "dev": ("222222222222", "Developer"),
    "audit": ("333333333333", "ReadOnly"),
}

REGION = "us-east-1"


def _client(service: str, endpoint: str, account: str):
    client = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        # moto without IAM auth accepts any key; these never leave the process.
        aws_access_key_id="seed",
        aws_secret_access_key="seed",
    )

    def put_in_account(request, **_):
        request.headers["x-moto-account-id"] = account

    client.meta.events.register(f"before-sign.{service}.*", put_in_account)
    return client


PARTNER_ROLE = "Partner"
PARTNER_EXTERNAL_ID = "roleport-ext-42"


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_demo(endpoint: str) -> dict:
    """Create alice and the cross-account roles; return the part of the JSON line
    that describes them."""
    user_arn = f"arn:aws:iam::{USER_ACCOUNT}:user/{USER_NAME}"
    roles = {
        key: f"arn:aws:iam::{account}:role/{name}"
        for key, (account, name) in DEMO_ROLES.items()
    }

    iam = _client("iam", endpoint, USER_ACCOUNT)
    iam.create_user(UserName=USER_NAME)
    # Permissions only matter if a test switches moto's IAM auth on
    # (POST /moto-api/reset-auth); they mirror what a real setup would grant.
    iam.put_user_policy(
        UserName=USER_NAME,
        PolicyName="assume-demo-roles",
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Resource": [*roles.values(), f"arn:aws:iam::{USER_ACCOUNT}:role/{PARTNER_ROLE}"],
            },
            {
                "Effect": "Allow",
                "Action": ["sts:GetFederationToken", "sts:GetSessionToken", "sts:GetCallerIdentity"],
                "Resource": "*",
            },
        ),
    )
    key = iam.create_access_key(UserName=USER_NAME)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=USER_NAME)["VirtualMFADevice"]
    iam.enable_mfa_device(
        UserName=USER_NAME,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="000000",
        AuthenticationCode2="000001",
    )
    # A same-account role with an ExternalId condition: with IAM auth on, moto checks
    # trust policies only for roles in the caller's own account, naming the caller's ARN.
    iam.create_role(
        RoleName=PARTNER_ROLE,
        AssumeRolePolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": PARTNER_EXTERNAL_ID}},
            }
        ),
        MaxSessionDuration=43200,
    )

    for account, name in DEMO_ROLES.values():
        role_iam = _client("iam", endpoint, account)
        role_iam.create_role(
            RoleName=name,
            # The user's ARN as well as the account root: moto compares principals
            # literally, it does not know that `root` stands for the whole account.
            AssumeRolePolicyDocument=_doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{USER_ACCOUNT}:root", user_arn]},
                    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                }
            ),
            MaxSessionDuration=43200,
            Description=f"roleport demo role {name}",
        )
        # Lets a role session assume the other demo roles (role chaining tests).
        role_iam.put_role_policy(
            RoleName=name,
            PolicyName="chain",
            PolicyDocument=_doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
        )

    return {
        "user": {
            "name": USER_NAME,
            "account_id": USER_ACCOUNT,
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
        },
        "roles": {**roles, "partner": f"arn:aws:iam::{USER_ACCOUNT}:role/{PARTNER_ROLE}"},
        "partner_external_id": PARTNER_EXTERNAL_ID,
        "mfa": {
            "serial": device["SerialNumber"],
            "seed": device["Base32StringSeed"].decode()
            if isinstance(device["Base32StringSeed"], bytes)
            else device["Base32StringSeed"],
        },
    }
