#!/usr/bin/env python3
"""Test AWS environment for roleport: moto (STS/IAM) + a console federation stub.

    tests/.venv/bin/python tests/aws/awsemu.py [--seed demo|none]
        [--console-host console.fakeaws.test] [--signin-host signin.fakeaws.test]
        [--idp-host idp.fakeaws.test]

Prints exactly one JSON line on stdout once everything is ready (see README.md),
then serves until SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-eof).
Everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading

log = logging.getLogger("awsemu")

REGION = "us-east-1"
# Marks the stub's own STS calls in moto's request recording, so tests that count
# the product's STS calls can leave them out.
STUB_USER_AGENT = "awsemu-federation-stub"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", choices=["demo", "none"], default="demo")
    p.add_argument("--console-host", default="console.fakeaws.test")
    p.add_argument("--signin-host", default="signin.fakeaws.test")
    p.add_argument("--idp-host", default="idp.fakeaws.test", help="the stub SAML identity provider")
    p.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="also exit when stdin closes (the parent died); off by default because "
        "CI runs with stdin already closed",
    )
    p.add_argument(
        "--tls-cert",
        help="serve moto, the sign-in stub and the SSO stub behind TLS on 127.0.0.1:--tls-port "
        "under AWS's real host names, with this certificate (PEM; see emu_tls.py)",
    )
    p.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    p.add_argument("--tls-port", type=int, default=443)
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def prepare_environment(tmpdir: str) -> None:
    """Must run before moto is imported: moto reads these at import time."""
    # The process that starts us may point AWS_PROFILE / AWS_CONFIG_FILE at the
    # product's test profiles; our own boto3 clients must not read them.
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    if "MOTO_ACCOUNT_ID" in os.environ:
        # It would override the per-request account and put every role in one account.
        log.warning("ignoring MOTO_ACCOUNT_ID=%s", os.environ.pop("MOTO_ACCOUNT_ID"))
    # The request recorder lets tests check what the product sent to STS
    # (ExternalId, SerialNumber/TokenCode, SourceIdentity):
    # GET <moto>/moto-api/recorder/download-recording (one JSON object per line).
    os.environ.setdefault("MOTO_ENABLE_RECORDING", "true")
    os.environ.setdefault("MOTO_RECORDER_FILEPATH", os.path.join(tmpdir, "moto_recording"))


def make_caller_identity(endpoint: str):
    """GetCallerIdentity on moto with arbitrary credentials; None if STS refuses.

    Signed with botocore's SigV4 signer and sent with urllib: a boto3 client per credential
    cost ~8 ms of the emulator's one Python process per getSigninToken (a fixed cost every
    tool measured against it paid, and one that made N sign-ins at once take N times one).
    A credential's identity never changes, so a positive answer is kept per credential
    (expiry is the stub's own check, made before this one)."""
    import urllib.error
    import urllib.request
    import xml.etree.ElementTree as ET

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=GetCallerIdentity&Version=2011-06-15"
    ns = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
    known: dict[tuple[str, str, str], dict] = {}

    def caller_identity(akid: str, secret: str, token: str) -> dict | None:
        if (akid, secret, token) in known:
            return known[(akid, secret, token)]
        request = AWSRequest(
            method="POST",
            url=endpoint,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "User-Agent": STUB_USER_AGENT,
            },
        )
        SigV4Auth(Credentials(akid, secret, token or None), "sts", REGION).add_auth(request)
        prepared = request.prepare()
        try:
            with urllib.request.urlopen(
                urllib.request.Request(
                    prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST"
                ),
                timeout=10,
            ) as reply:
                result = ET.fromstring(reply.read()).find("sts:GetCallerIdentityResult", ns)
        except (urllib.error.URLError, ET.ParseError, OSError) as err:
            log.info("GetCallerIdentity refused: %s", err)
            return None
        if result is None:
            return None
        who = {k: result.findtext(f"sts:{k}", namespaces=ns) for k in ("Account", "Arn")}
        known[(akid, secret, token)] = who
        return who

    return caller_identity


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="awsemu %(levelname)s %(name)s: %(message)s",
    )
    # werkzeug (moto's server) sets its own logger to INFO unless told otherwise.
    logging.getLogger("werkzeug").setLevel(logging.getLogger().level)
    # stdout carries the one JSON line only; anything a library prints goes to stderr.
    stdout, sys.stdout = sys.stdout, sys.stderr

    tmpdir = tempfile.mkdtemp(prefix="awsemu-")
    prepare_environment(tmpdir)

    from moto.moto_api import recorder
    from moto.server import ThreadedMotoServer

    import emu_cognito
    import emu_faults
    import emu_moto
    import emu_saml
    from emu_federation import Clock, Federation
    from emu_http import StubServer
    from emu_seed import _client, seed_demo
    from emu_sso import Sso, SsoServer, make_assume_role

    emu_moto.install()
    emu_cognito.install()
    emu_saml.install()
    faults = emu_faults.Faults(STUB_USER_AGENT)
    emu_faults.install(faults)  # STS faults on purpose (emu_faults.py), before moto serves
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_url = "http://%s:%d" % moto.get_host_and_port()

    seeded = seed_demo(moto_url) if args.seed == "demo" else {"user": None, "roles": {}}
    if args.seed == "demo":
        seeded["cognito"] = emu_cognito.seed(
            moto_url, lambda service, account: _client(service, moto_url, account)
        )
    if args.seed == "demo":
        # SAML sign-in (emu_saml.py): a provider in each demo role's account, trusted by the role.
        seeded["saml"] = emu_saml.seed(
            lambda service, account: _client(service, moto_url, account), seeded["roles"]
        )
    recorder.reset_recording()  # tests see their own traffic, not the seeding

    federation = Federation(Clock(), make_caller_identity(moto_url))
    stub = StubServer(federation, args.signin_host, args.console_host, args.idp_host)
    stub.faults = faults
    stub.idp = emu_saml.Idp({k: v for k, v in seeded["roles"].items() if k in ("prod", "dev", "audit")})
    if stub.cookie_domain and not (
        stub.signin_host == stub.cookie_domain or stub.signin_host.endswith("." + stub.cookie_domain)
    ):
        log.warning(
            "signin host %s cannot set a cookie for %s: browsers will drop the console cookie",
            stub.signin_host,
            stub.cookie_domain,
        )
    threading.Thread(target=stub.serve_forever, args=(0.1,), name="stub", daemon=True).start()
    # IAM Identity Center (portal + OIDC) on its own port: see emu_sso.py.
    sso = SsoServer(Sso(make_assume_role(moto_url, REGION, STUB_USER_AGENT)))
    threading.Thread(target=sso.serve_forever, args=(0.1,), name="sso", daemon=True).start()

    tls = None
    if args.tls_cert:
        from emu_tls import TlsFront

        tls = TlsFront(
            args.tls_cert,
            args.tls_key or args.tls_cert,
            {"moto": moto.get_host_and_port()[1], "signin": stub.port, "sso": sso.port},
            ("127.0.0.1", args.tls_port),
        )
        threading.Thread(target=tls.serve_forever, name="tls", daemon=True).start()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, name="stdin", daemon=True).start()

    line = {
        "moto": moto_url,
        "port": stub.port,
        "signin": f"{stub.signin_origin()}/federation",
        "console": f"{stub.console_origin()}/",
        "sso": sso.origin(),
        "idp": f"{stub.idp_origin()}{emu_saml.IDP_PATH}",
        **({"tls": tls.port} if tls else {}),
        **seeded,
    }
    stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
    stdout.flush()
    log.info("ready: moto %s, stub on 127.0.0.1:%d", moto_url, stub.port)

    # Short waits keep the main thread responsive to signals.
    while not stop.wait(0.2):
        pass
    log.info("stopping")
    faults.clear()  # releases hung calls
    if tls:
        tls.shutdown()
    stub.shutdown()
    stub.server_close()
    sso.shutdown()
    sso.server_close()
    moto.stop()
    shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
