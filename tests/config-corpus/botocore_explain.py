"""botocore's own answer to `roleport explain --json`, for the config corpus test.

    tests/.venv/bin/python tests/config-corpus/botocore_explain.py CASE_DIR [CASE_DIR ...]

Each CASE_DIR holds `config`, optionally `credentials`, and `profiles` (one profile name per
line). One JSON line per (case, profile) goes to stdout:
{"case": DIR_NAME, "profile": NAME, "result": <the shape of `roleport explain --json`>}.

Resolution is botocore's, not a re-implementation: the default credential resolver is built
with `create_credential_resolver` and run. What would leave the machine is faked and recorded:
the STS client (each AssumeRole call and its parameters, in order), the credential process
runner, the SSO fetch, and the Environment / ECS / IMDS sources of `credential_source`. The
providers that do not come from the profile (instance metadata, container, boto2 files) are
taken out of the main chain, so a profile without credentials fails instead of falling
through to the machine's own.

Fields botocore has no notion of (roleport_* keys, the source's own mfa_serial) are read from
botocore's parsed config, so the two parsers are compared on them too.
"""

import datetime
import json
import os
import sys

import botocore.credentials as bc
import botocore.exceptions as be
import botocore.session

FAKE_EXPIRY = datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc)


class Recorder:
    """What one resolution did: the sources that gave credentials, the role profiles visited
    (outermost first), and the AssumeRole calls (in the order they were made)."""

    def __init__(self):
        self.sources = []
        self.role_profiles = []
        self.calls = []


REC = Recorder()


def fake_creds(tag):
    return bc.Credentials(f"AKIDFAKE{tag}", "fake-secret", "fake-token")


def record_source(entry):
    REC.sources.append(entry)
    return fake_creds(len(REC.sources))


# --- the profile chain's providers: botocore decides, we record which one answered --------

_shared_load = bc.SharedCredentialProvider.load
_config_load = bc.ConfigProvider.load


def shared_load(self):
    creds = _shared_load(self)
    if creds is not None:
        record_source({"kind": "static_keys", "profile": self._profile_name, "file": "credentials"})
    return creds


def config_load(self):
    creds = _config_load(self)
    if creds is not None:
        record_source({"kind": "static_keys", "profile": self._profile_name, "file": "config"})
    return creds


def process_load(self):
    if self._credential_process is None:
        return None
    return record_source({"kind": "credential_process", "profile": self._profile_name})


def sso_load(self):
    config = self._load_sso_config()  # botocore's own validation and sso-session merge
    if not config:
        return None
    return record_source({
        "kind": "sso",
        "profile": self._profile_name,
        "sso_session": config.get("sso_session"),
        "start_url": config["sso_start_url"],
        "sso_region": config["sso_region"],
        "account_id": config["sso_account_id"],
        "role_name": config["sso_role_name"],
    })


bc.SharedCredentialProvider.load = shared_load
bc.ConfigProvider.load = config_load
bc.ProcessProvider.load = process_load
bc.SSOProvider.load = sso_load

_get_role_config = bc.AssumeRoleProvider._get_role_config


def get_role_config(self, profile_name):
    config = _get_role_config(self, profile_name)
    REC.role_profiles.append(profile_name)
    return config


bc.AssumeRoleProvider._get_role_config = get_role_config


class AmbientSource:
    """Stands in for EnvProvider / ContainerProvider / InstanceMetadataProvider inside the
    CanonicalNameCredentialSourcer, which keeps botocore's own name checks."""

    def __init__(self, canonical, kind):
        self.CANONICAL_NAME = canonical
        self.METHOD = kind
        self.kind = kind

    def load(self):
        profile = REC.role_profiles[-1] if REC.role_profiles else None
        return record_source({"kind": self.kind, "profile": profile})


class FakeSts:
    def assume_role(self, **kwargs):
        REC.calls.append(kwargs)
        n = len(REC.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIAFAKE{n}",
                "SecretAccessKey": "fake",
                "SessionToken": "fake",
                "Expiration": FAKE_EXPIRY,
            },
            "AssumedRoleUser": {"Arn": kwargs["RoleArn"], "AssumedRoleId": "x"},
        }


def fake_client_creator(service_name, **kwargs):
    assert service_name == "sts", service_name
    return FakeSts()


# --- one resolution -------------------------------------------------------------------------

NOT_PROFILE_BASED = (bc.OriginalEC2Provider, bc.BotoProvider, bc.ContainerProvider,
                     bc.InstanceMetadataProvider, bc.EnvProvider)


def resolve(case_dir, profile):
    global REC
    REC = Recorder()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ["AWS_CONFIG_FILE"] = os.path.join(case_dir, "config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(case_dir, "credentials")
    session = botocore.session.Session(profile=profile)
    full = session.full_config  # parse errors surface here
    profiles = full.get("profiles", {})
    if profile not in profiles:
        raise be.ProfileNotFound(profile=profile)
    resolver = bc.create_credential_resolver(session, region_name="us-east-1")
    resolver.providers = [p for p in resolver.providers if not isinstance(p, NOT_PROFILE_BASED)]
    for p in resolver.providers:
        if isinstance(p, bc.AssumeRoleProvider):
            p._client_creator = fake_client_creator
            p._prompter = lambda prompt: "123456"
            p._credential_sourcer = bc.CanonicalNameCredentialSourcer([
                AmbientSource("Environment", "environment"),
                AmbientSource("EcsContainer", "ecs_container"),
                AmbientSource("Ec2InstanceMetadata", "ec2_instance_metadata"),
            ])
    creds = resolver.load_credentials()
    if creds is None:
        return {"error": "incomplete", "profiles": [profile]}
    creds.get_frozen_credentials()  # runs the (fake) AssumeRole calls, innermost first
    if len(REC.sources) != 1:
        raise AssertionError(f"expected one source, got {REC.sources}")
    source = dict(REC.sources[0])
    if source["kind"] in ("static_keys", "credential_process"):
        source["mfa_serial"] = profiles.get(source["profile"], {}).get("mfa_serial")
    role_profiles = list(reversed(REC.role_profiles))
    if len(role_profiles) != len(REC.calls):
        raise AssertionError(f"{role_profiles} vs {len(REC.calls)} AssumeRole calls")
    roles = [role(profiles.get(p, {}), p, call) for p, call in zip(role_profiles, REC.calls)]
    return {
        "profile": profile,
        "region": session.get_config_variable("region"),
        "source": source,
        "roles": roles,
    }


def split_list(value):
    return [x.strip() for x in value.split(",") if x.strip()]


def role(config, profile, call):
    session_name = call.get("RoleSessionName", "")
    tags = []
    for pair in split_list(config.get("roleport_tags", "")):
        key, _, value = pair.partition("=")
        tags.append({"key": key.strip(), "value": value.strip()})
    return {
        "profile": profile,
        "role_arn": call["RoleArn"],
        "external_id": call.get("ExternalId"),
        "mfa_serial": call.get("SerialNumber"),
        # botocore makes up `botocore-session-<time>` when none is configured.
        "role_session_name": None if session_name.startswith("botocore-session-") else session_name,
        "duration_seconds": call.get("DurationSeconds"),
        "source_identity": config.get("roleport_source_identity"),
        "tags": tags,
        "transitive_tag_keys": split_list(config.get("roleport_transitive_tag_keys", "")),
    }


def error_result(e, profile):
    """The error's kind and the profiles it names, from botocore's exception."""
    if isinstance(e, be.InfiniteLoopConfigError):
        return {"error": "cycle", "profiles": list(e.kwargs["visited_profiles"]) + [e.kwargs["source_profile"]]}
    if isinstance(e, be.ProfileNotFound):
        return {"error": "unknown_profile", "profiles": [profile]}
    if isinstance(e, be.ConfigParseError):
        return {"error": "config_unreadable", "profiles": []}
    message = str(e)
    if isinstance(e, be.InvalidConfigError) and "does not exist" in message:
        names = message.split('"')[1::2]  # the quoted names, in order
        if "sso-session" in message:
            return {"error": "dangling", "profiles": names}
        # 'The source_profile "X" referenced in the profile "Y" does not exist.'
        return {"error": "dangling", "profiles": list(reversed(names))}
    if isinstance(e, (be.InvalidConfigError, be.PartialCredentialsError,
                      be.CredentialRetrievalError, be.UnknownCredentialError)):
        return {"error": "incomplete", "profiles": []}
    raise e


def main(case_dirs):
    for case_dir in case_dirs:
        with open(os.path.join(case_dir, "profiles")) as f:
            names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        for profile in names:
            try:
                result = resolve(case_dir, profile)
            except be.BotoCoreError as e:
                result = error_result(e, profile)
            print(json.dumps({"case": os.path.basename(os.path.normpath(case_dir)),
                              "profile": profile, "result": result}, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
