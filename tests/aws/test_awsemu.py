"""Tests of the test AWS environment itself (moto + federation stub)."""

from __future__ import annotations

import datetime
import json
import re
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import CONSOLE, SIGNIN, start_emu


def span(page: str, ident: str) -> str | None:
    match = re.search(rf'<span id="{ident}">([^<]*)</span>', page)
    return match.group(1) if match else None


def shown_expiry(page: str) -> float:
    return datetime.datetime.fromisoformat(span(page, "expires")).timestamp()


# --- the JSON line and the seeded data ----------------------------------------


def test_json_line(emu):
    info = emu.info
    assert info["moto"].startswith("http://127.0.0.1:")
    assert info["signin"] == f"http://{SIGNIN}:{emu.port}/federation"
    assert info["console"] == f"http://{CONSOLE}:{emu.port}/"
    assert info["user"]["name"] == "alice" and info["user"]["account_id"] == "123456789012"
    assert info["user"]["access_key_id"].startswith("AKIA")
    assert info["roles"] == {
        "prod": "arn:aws:iam::111111111111:role/Admin",
        "dev": "arn:aws:iam::222222222222:role/Developer",
        "audit": "arn:aws:iam::333333333333:role/ReadOnly",
        "partner": "arn:aws:iam::123456789012:role/Partner",
    }
    assert info["mfa"]["serial"] == "arn:aws:iam::123456789012:mfa/alice"


def test_seed_none_and_clean_exit():
    emulator = start_emu("--seed", "none", "--console-host", "127.0.0.1", "--signin-host", "127.0.0.1")
    try:
        assert emulator.info["user"] is None and emulator.info["roles"] == {}
        assert emulator.info["console"] == f"http://127.0.0.1:{emulator.port}/"
    finally:
        assert emulator.stop() == 0
    assert emulator.proc.stdout.read() == ""  # exactly one line on stdout


@pytest.mark.parametrize("role,account,name", [
    ("prod", "111111111111", "Admin"),
    ("dev", "222222222222", "Developer"),
    ("audit", "333333333333", "ReadOnly"),
])
def test_assumed_role_identity_is_in_the_role_account(emu, role, account, name):
    who = emu.sts(emu.assume(role)).get_caller_identity()
    assert who["Account"] == account
    assert who["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/alice"


def test_alice_identity(emu):
    who = emu.sts().get_caller_identity()
    assert who["Arn"] == "arn:aws:iam::123456789012:user/alice"


def test_federation_token_is_unique_and_known_to_sts(emu):
    first = emu.sts().get_federation_token(Name="bob")["Credentials"]
    second = emu.sts().get_federation_token(Name="bob")["Credentials"]
    assert first["AccessKeyId"] != second["AccessKeyId"]  # moto alone repeats one example key
    who = emu.sts(first).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:federated-user/bob"


def test_chained_assume_role_over_one_hour_fails(emu):
    prod = emu.assume("prod")
    with pytest.raises(ClientError, match="1 hour session limit"):
        emu.assume("dev", creds=prod, DurationSeconds=7200)
    assert emu.assume("dev", creds=prod, DurationSeconds=3600)["AccessKeyId"]


# --- happy path ------------------------------------------------------------------


def test_sign_in_shows_account_and_role(emu):
    creds = emu.assume("prod")
    token = emu.token(creds)
    destination = f"http://{CONSOLE}:{emu.port}/console/ec2/home?region=eu-west-1"
    reply = emu.login(token, destination)
    assert reply.status == 302
    assert reply.headers["Location"] == destination
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("aws-session=")
    attrs = [a.strip() for a in cookie.split(";")[1:]]
    assert attrs == ["Domain=fakeaws.test", "Path=/", "HttpOnly"]

    page = emu.console(cookie.split(";")[0], "/console/ec2/home?region=eu-west-1")
    assert page.status == 200
    assert span(page.text, "account") == "111111111111"
    assert span(page.text, "role") == "Admin"
    assert span(page.text, "arn") == "arn:aws:sts::111111111111:assumed-role/Admin/alice"
    assert span(page.text, "path") == "/console/ec2/home?region=eu-west-1"
    assert "<title>Console - 111111111111 - Admin</title>" in page.text
    # Without SessionDuration the console session ends with the credentials.
    assert abs(shown_expiry(page.text) - creds["Expiration"].timestamp()) < 2


def test_token_request_may_use_any_host_and_post(emu):
    creds = emu.assume("dev")
    reply = emu.get_token(creds, host="127.0.0.1")
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    session = {"sessionId": creds["AccessKeyId"], "sessionKey": creds["SecretAccessKey"],
               "sessionToken": creds["SessionToken"]}
    form = {"Action": "getSigninToken", "Session": json.dumps(session)}
    assert emu.request("POST", "/federation", SIGNIN, form=form).status == 200
    # awsume sends a Python dict repr (single quotes); AWS accepts it.
    assert emu.request("GET", "/federation", SIGNIN, {"Action": "getSigninToken",
                                                      "Session": repr(session)}).status == 200


def test_federation_token_signs_in_as_federated_user(emu):
    creds = emu.sts().get_federation_token(Name="bob", DurationSeconds=7200)["Credentials"]
    page = emu.console(emu.sign_in(creds)).text
    assert span(page, "account") == "123456789012"
    assert span(page, "role") == "bob"
    assert span(page, "kind") == "federation"
    # The console session follows the credentials' own expiry.
    assert abs(shown_expiry(page) - creds["Expiration"].timestamp()) < 2


def test_last_sign_in_wins_and_logout(emu):
    cookie_prod = emu.sign_in(emu.assume("prod"))
    cookie_audit = emu.sign_in(emu.assume("audit"))
    assert span(emu.console(cookie_audit).text, "role") == "ReadOnly"
    assert span(emu.console(cookie_prod).text, "role") == "Admin"
    out = emu.request("GET", "/oauth", SIGNIN, {"Action": "logout"}, cookie=cookie_audit)
    assert out.status == 200 and "Max-Age=0" in out.headers["Set-Cookie"]
    page = emu.console(cookie_audit)
    assert page.status == 403 and span(page.text, "signed-out") is not None


def test_logout_ends_only_the_cookies_session_and_is_recorded(fresh_emu):
    cookie_prod = fresh_emu.sign_in(fresh_emu.assume("prod"))
    cookie_dev = fresh_emu.sign_in(fresh_emu.assume("dev"))
    out = fresh_emu.request("GET", "/oauth", SIGNIN, {"Action": "logout"}, cookie=cookie_dev)
    assert out.status == 200 and "Max-Age=0" in out.headers["Set-Cookie"]
    # The session itself is over, not just the browser's copy of the cookie.
    assert fresh_emu.console(cookie_dev).status == 403
    assert span(fresh_emu.console(cookie_prod).text, "account") == "111111111111"
    # A sign-out without a session cookie ends nothing.
    assert fresh_emu.request("GET", "/oauth", SIGNIN, {"Action": "logout"}).status == 200
    assert fresh_emu.request("GET", "/oauth", SIGNIN, {"Action": "other"}).status == 400
    logouts = [r for r in fresh_emu.control("GET", "/_stub/requests")["requests"] if r["action"] == "logout"]
    assert [(r["outcome"], r["arn"]) for r in logouts] == [
        ("ok", "arn:aws:sts::222222222222:assumed-role/Developer/alice"),
        ("no session", None),
    ]


# --- sign-in tokens ----------------------------------------------------------------


def test_token_is_single_use(emu):
    token = emu.token(emu.assume("prod"))
    assert emu.login(token).status == 302
    again = emu.login(token)
    assert again.status == 400 and "already been used" in again.text


def test_unknown_token_refused(emu):
    reply = emu.login("not-a-token")
    assert reply.status == 400 and "not valid" in reply.text


def test_token_expires_after_15_minutes(fresh_emu):
    creds = fresh_emu.assume("prod")
    late = fresh_emu.token(creds)
    fresh_emu.control("POST", "/_stub/advance", seconds=14 * 60)
    in_time = fresh_emu.token(creds)  # 14 minutes younger than `late`
    fresh_emu.control("POST", "/_stub/advance", seconds=2 * 60)  # late: 16 min, in_time: 2 min
    reply = fresh_emu.login(late)
    assert reply.status == 400 and "expired" in reply.text
    assert fresh_emu.login(in_time).status == 302


def test_console_session_expires(fresh_emu):
    cookie = fresh_emu.sign_in(fresh_emu.assume("prod"), SessionDuration="900")
    assert fresh_emu.console(cookie).status == 200
    fresh_emu.control("POST", "/_stub/advance", seconds=901)
    page = fresh_emu.console(cookie)
    assert page.status == 403 and span(page.text, "reason") == "session expired"


def test_expired_credentials_refused(fresh_emu):
    creds = fresh_emu.assume("prod", DurationSeconds=900)
    fresh_emu.control("POST", "/_stub/advance", seconds=901)
    reply = fresh_emu.get_token(creds)
    assert reply.status == 400 and "expired" in reply.text


# --- SessionDuration -----------------------------------------------------------------


@pytest.mark.parametrize("duration", ["900", "43200"])
def test_session_duration_accepted_for_assumed_role(emu, duration):
    page = emu.console(emu.sign_in(emu.assume("prod"), SessionDuration=duration)).text
    now = emu.control("POST", "/_stub/advance", seconds=0)["now"]
    assert abs(shown_expiry(page) - (now + int(duration))) < 30


@pytest.mark.parametrize("duration", ["899", "43201", "0", "-900", "abc", ""])
def test_session_duration_out_of_range(emu, duration):
    reply = emu.get_token(emu.assume("prod"), SessionDuration=duration)
    assert reply.status == 400 and "SessionDuration" in reply.text


def test_session_duration_refused_for_federation_token(emu):
    creds = emu.sts().get_federation_token(Name="bob")["Credentials"]
    reply = emu.get_token(creds, SessionDuration="3600")
    assert reply.status == 400 and "GetFederationToken" in reply.text
    assert emu.get_token(creds).status == 200


def test_session_duration_refused_for_chained_role(emu):
    chained = emu.assume("dev", creds=emu.assume("prod"))
    reply = emu.get_token(chained, SessionDuration="3600")
    assert reply.status == 400 and "chained" in reply.text
    page = emu.console(emu.sign_in(chained)).text
    assert span(page, "account") == "222222222222"
    # Chained: the console session ends with the credentials, not after SessionDuration.
    assert abs(shown_expiry(page) - chained["Expiration"].timestamp()) < 2


def test_session_duration_allowed_after_get_session_token(emu):
    # GetSessionToken (the MFA step) then AssumeRole is not role chaining.
    session = emu.sts().get_session_token()["Credentials"]
    creds = emu.assume("prod", creds=session)
    assert emu.get_token(creds, SessionDuration="3600").status == 200


# --- credentials the endpoint must refuse ------------------------------------------------


def _variants(emu):
    good = emu.assume("prod")
    user = emu.info["user"]
    yield "forged key", {**good, "AccessKeyId": "ASIAFORGEDFORGED0000"}
    yield "wrong secret", {**good, "SecretAccessKey": "x" * 40}
    yield "wrong token", {**good, "SessionToken": good["SessionToken"][:-4] + "AAAA"}
    yield "no token", {**good, "SessionToken": None}
    yield "IAM user keys", {"AccessKeyId": user["access_key_id"],
                            "SecretAccessKey": user["secret_access_key"]}
    yield "GetSessionToken", emu.sts().get_session_token()["Credentials"]
    yield "moto example key", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
                               "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                               "SessionToken": "AQoEXAMPLE"}


def test_bad_credentials_refused(emu):
    for label, creds in _variants(emu):
        reply = emu.get_token(creds)
        assert reply.status == 400, label
        assert "SigninToken" not in reply.text, label


@pytest.mark.parametrize("session", ["", "{", "[]", '{"sessionId": "x"}'])
def test_malformed_session_refused(emu, session):
    params = {"Action": "getSigninToken", "Session": session}
    assert emu.request("GET", "/federation", SIGNIN, params).status == 400


# --- login destination and hosts -------------------------------------------------------


def test_destination_must_be_the_console(emu):
    token = emu.token(emu.assume("prod"))
    port = emu.port
    for destination in [
        "https://evil.example/console",
        f"http://evil.example:{port}/console",
        f"http://{CONSOLE}.evil.example:{port}/console",
        f"http://{CONSOLE}:{port + 1}/console",
        f"https://{CONSOLE}:{port}/console",
        f"http://{SIGNIN}:{port}/console",
        "javascript:alert(1)",
        "",
    ]:
        reply = emu.login(token, destination)
        assert reply.status == 400, destination
        assert "Location" not in reply.headers
    # A refused destination does not burn the token; a console sub-domain is fine.
    assert emu.login(token, f"http://eu-west-1.{CONSOLE}:{port}/console").status == 302


def test_login_only_on_signin_host_and_console_only_on_console_host(emu):
    token = emu.token(emu.assume("prod"))
    assert emu.login(token, host=CONSOLE).status == 400
    cookie = emu.sign_in(emu.assume("prod"))
    assert emu.request("GET", "/console/home", SIGNIN, cookie=cookie).status == 404


def test_signed_out_console(emu):
    for cookie in [None, "aws-session=bogus"]:
        page = emu.console(cookie)
        assert page.status == 403
        assert span(page.text, "signed-out") == "Signed out"


# --- test-control routes -----------------------------------------------------------------


def test_issued_lists_every_credential(emu):
    role = emu.assume("audit")
    fed = emu.sts().get_federation_token(Name="carol")["Credentials"]
    chained = emu.assume("dev", creds=role)
    issued = {c["access_key_id"]: c for c in emu.control("GET", "/_stub/issued")["credentials"]}
    for creds, kind in [(role, "assumed-role"), (fed, "federation"), (chained, "assumed-role")]:
        entry = issued[creds["AccessKeyId"]]
        assert entry["secret_access_key"] == creds["SecretAccessKey"]
        assert entry["session_token"] == creds["SessionToken"]
        assert entry["kind"] == kind
    assert issued[chained["AccessKeyId"]]["chained"] is True
    assert issued[role["AccessKeyId"]]["chained"] is False
    user = issued[emu.info["user"]["access_key_id"]]
    assert user["kind"] == "iam-user" and user["secret_access_key"] == emu.info["user"]["secret_access_key"]


def test_requests_log_has_no_secrets(emu):
    creds = emu.assume("prod")
    emu.sign_in(creds, SessionDuration="1800")
    emu.get_token(creds, SessionDuration="1")
    log = emu.control("GET", "/_stub/requests")["requests"]
    text = json.dumps(log)
    for secret in (creds["SecretAccessKey"], creds["SessionToken"], creds["AccessKeyId"]):
        assert secret not in text
    last = log[-3:]
    assert [e["action"] for e in last] == ["getSigninToken", "login", "getSigninToken"]
    assert last[0]["outcome"] == "ok" and last[0]["session_duration_present"] is True
    assert last[1]["outcome"] == "ok" and last[1]["destination"].startswith(f"http://{CONSOLE}:")
    assert last[2]["outcome"].startswith("refused")



def test_moto_reset_forgets_issued_credentials(fresh_emu):
    fed = fresh_emu.sts().get_federation_token(Name="bob")["Credentials"]
    role = fresh_emu.assume("prod")
    urllib.request.urlopen(urllib.request.Request(fresh_emu.info["moto"] + "/moto-api/reset", method="POST"))
    for creds in (fed, role):
        assert fresh_emu.get_token(creds).status == 400


# --- the TLS front (emu_tls.py): AWS's real names on one address, for the benchmark --------


def test_tls_front_routes_by_server_name():
    from emu_tls import backend_for

    assert backend_for("sts.amazonaws.com") == "moto"
    assert backend_for("sts.eu-west-1.amazonaws.com") == "moto"
    assert backend_for("signin.aws.amazon.com") == "signin"
    assert backend_for("EU-WEST-1.signin.aws.amazon.com.") == "signin"
    assert backend_for("portal.sso.us-east-1.amazonaws.com") == "sso"
    assert backend_for("oidc.us-east-1.amazonaws.com") == "sso"
    for other in (None, "", "example.com", "sts.amazonaws.com.evil.test", "s3.amazonaws.com"):
        assert backend_for(other) is None


def test_tls_front_serves_real_names_with_a_throwaway_ca(tmp_path):
    import socket
    import ssl

    from emu_tls import NAMES, make_test_ca

    paths = make_test_ca(str(tmp_path), NAMES)
    emu = start_emu("--tls-cert", paths["cert"], "--tls-key", paths["key"], "--tls-port", "0")
    try:
        port = emu.info["tls"]
        trust = ssl.create_default_context(cafile=paths["ca"])

        def ask(name: str, request: bytes) -> bytes:
            with socket.create_connection(("127.0.0.1", port)) as raw:
                with trust.wrap_socket(raw, server_hostname=name) as tls:
                    tls.sendall(request)
                    out = b""
                    while chunk := tls.recv(65536):
                        out += chunk
                    return out

        body = b"Action=GetCallerIdentity&Version=2011-06-15"
        sts = ask("sts.eu-west-1.amazonaws.com", b"POST / HTTP/1.1\r\nHost: sts.eu-west-1.amazonaws.com\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
                  # moto tells services apart by the signature's scope, as clients sign.
                  b"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261203/"
                  b"eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=00\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        assert b"GetCallerIdentityResponse" in sts, sts
        signin = ask("signin.aws.amazon.com", b"GET /federation?Action=getSigninToken HTTP/1.1\r\n"
                     b"Host: signin.aws.amazon.com\r\nConnection: close\r\n\r\n")
        assert signin.startswith(b"HTTP/1.0 400") or signin.startswith(b"HTTP/1.1 400"), signin
        assert b"Session" in signin
        # A name the certificate does not carry fails verification on the client's side.
        with pytest.raises(ssl.SSLCertVerificationError):
            ask("console.aws.amazon.com", b"")
    finally:
        emu.stop()
