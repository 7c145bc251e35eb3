"""Fixtures for the awsemu tests: start awsemu.py as the real tests will, then
drive moto with boto3 and the stub over plain HTTP.

The test host names do not resolve outside a browser, so every stub request goes
to 127.0.0.1:PORT with the Host header set explicitly.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
SIGNIN = "signin.fakeaws.test"
CONSOLE = "console.fakeaws.test"
STARTUP_TIMEOUT = 30


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


@dataclass
class Emu:
    proc: subprocess.Popen
    info: dict
    stderr: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.info["port"]

    # --- moto ---------------------------------------------------------------

    def sts(self, creds: dict | None = None):
        """STS client on moto; `creds` is an STS Credentials dict, default alice."""
        if creds is None:
            user = self.info["user"]
            creds = {"AccessKeyId": user["access_key_id"], "SecretAccessKey": user["secret_access_key"]}
        return boto3.client(
            "sts",
            endpoint_url=self.info["moto"],
            region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
            config=Config(retries={"max_attempts": 1}),
        )

    def assume(self, role: str = "prod", creds: dict | None = None, **kwargs) -> dict:
        arn = self.info["roles"].get(role, role)
        return self.sts(creds).assume_role(RoleArn=arn, RoleSessionName="alice", **kwargs)["Credentials"]

    # --- stub -----------------------------------------------------------------

    def request(
        self, method: str, path: str, host: str, params: dict | None = None,
        cookie: str | None = None, form: dict | None = None,
    ) -> Reply:
        if params:
            path += "?" + urlencode(params)
        headers = {"Host": f"{host}:{self.port}"}
        body = None
        if cookie:
            headers["Cookie"] = cookie
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get_token(self, creds: dict, host: str = SIGNIN, **extra) -> Reply:
        session = {
            "sessionId": creds["AccessKeyId"],
            "sessionKey": creds["SecretAccessKey"],
            "sessionToken": creds.get("SessionToken"),
        }
        params = {"Action": "getSigninToken", "Session": json.dumps(session), **extra}
        return self.request("GET", "/federation", host, params)

    def token(self, creds: dict, **extra) -> str:
        reply = self.get_token(creds, **extra)
        assert reply.status == 200, reply.text
        return reply.json()["SigninToken"]

    def login(self, token: str, destination: str | None = None, host: str = SIGNIN) -> Reply:
        params = {
            "Action": "login",
            "Issuer": "https://roleport.test/",
            "Destination": (
                destination if destination is not None else f"http://{CONSOLE}:{self.port}/console/home"
            ),
            "SigninToken": token,
        }
        return self.request("GET", "/federation", host, params)

    def console(self, cookie: str | None, path: str = "/console/home") -> Reply:
        return self.request("GET", path, CONSOLE, cookie=cookie)

    def sign_in(self, creds: dict, **extra) -> str:
        """getSigninToken + login; returns the Cookie header value for the console."""
        reply = self.login(self.token(creds, **extra))
        assert reply.status == 302, reply.text
        return reply.headers["Set-Cookie"].split(";")[0]

    def control(self, method: str, path: str, **params) -> dict:
        reply = self.request(method, path, "127.0.0.1", params or None)
        assert reply.status == 200, reply.text
        return reply.json()

    # --- process ----------------------------------------------------------------

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def start_emu(*args: str) -> Emu:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "awsemu.py"), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    emu = Emu(proc, {})

    def drain() -> None:  # keep stderr flowing so the child never blocks on it
        for line in proc.stderr:
            emu.stderr.append(line)

    threading.Thread(target=drain, daemon=True).start()
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(STARTUP_TIMEOUT)
    if not line or not line[0]:
        proc.kill()
        raise RuntimeError("awsemu did not start:\n" + "".join(emu.stderr))
    emu.info = json.loads(line[0])
    return emu


@pytest.fixture(scope="session")
def emu():
    """One emulator shared by the tests that do not move the stub's clock."""
    emulator = start_emu()
    yield emulator
    assert emulator.stop() == 0


@pytest.fixture
def fresh_emu():
    """A private emulator, for tests that move the clock or need a clean state."""
    emulator = start_emu()
    yield emulator
    assert emulator.stop() == 0
