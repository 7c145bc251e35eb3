"""TLS front for the emulator on one address (127.0.0.1:443), for clients that call AWS's real
host names over HTTPS: the peer tools of the benchmark (awsume, aws-sso-util) and roleport
itself without endpoint variables.

The client's TLS server name (SNI) picks the backend: `sts.amazonaws.com` and
`sts.<region>.amazonaws.com` go to moto, `signin.aws.amazon.com` and
`<region>.signin.aws.amazon.com` to the sign-in stub, `portal.sso.<region>.amazonaws.com` and
`oidc.<region>.amazonaws.com` to the IAM Identity Center stub. TLS ends here; the plain bytes
are relayed to the backend unchanged, so each backend sees the Host header the client sent.
A name it does not know is refused (the connection is closed): nothing is guessed.

Only useful where those names resolve to 127.0.0.1 (a private /etc/hosts in a private mount
and network namespace, as `cargo xtask bench` runs it) and the clients trust the certificate's
CA (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, AWS_CA_BUNDLE, CURL_CA_BUNDLE).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import ssl
import subprocess
import sys

log = logging.getLogger("awsemu.tls")

# (pattern of the server name, backend) in order; backends are "moto", "signin", "sso".
ROUTES = [
    (re.compile(r"sts(\.[a-z0-9-]+)?\.amazonaws\.com"), "moto"),
    (re.compile(r"([a-z0-9-]+\.)?signin\.aws\.amazon\.com"), "signin"),
    (re.compile(r"(portal\.sso|oidc)\.[a-z0-9-]+\.amazonaws\.com"), "sso"),
]


# The names the benchmark's tools call (the regions its profiles use), for the certificate.
NAMES = [
    "sts.amazonaws.com",
    "signin.aws.amazon.com",
    *[f"sts.{r}.amazonaws.com" for r in ("us-east-1", "eu-west-1")],
    *[f"{r}.signin.aws.amazon.com" for r in ("us-east-1", "eu-west-1")],
    "portal.sso.us-east-1.amazonaws.com",
    "oidc.us-east-1.amazonaws.com",
]


def make_test_ca(directory: str, names: list[str]) -> dict[str, str]:
    """A throwaway CA and a server certificate for `names` signed by it (openssl, P-256).
    Returns the paths: `ca` (what clients trust), `cert` and `key` (what the front serves)."""
    os.makedirs(directory, exist_ok=True)
    path = {k: os.path.join(directory, f) for k, f in
            [("ca", "ca.pem"), ("ca_key", "ca-key.pem"), ("cert", "cert.pem"), ("key", "key.pem"),
             ("csr", "cert.csr"), ("ext", "cert.ext")]}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", *ec, "-keyout", path["ca_key"], "-out", path["ca"], "-days", "2",
            "-subj", "/CN=roleport benchmark throwaway CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-new", *ec, "-keyout", path["key"], "-out", path["csr"],
            "-subj", f"/CN={names[0]}")
    with open(path["ext"], "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n"
                f"subjectAltName={','.join('DNS:' + n for n in names)}\n")
    openssl("x509", "-req", "-in", path["csr"], "-CA", path["ca"], "-CAkey", path["ca_key"],
            "-CAcreateserial", "-out", path["cert"], "-days", "2", "-extfile", path["ext"])
    os.chmod(path["ca_key"], 0o600)
    os.chmod(path["key"], 0o600)
    return {k: path[k] for k in ("ca", "cert", "key")}


def backend_for(server_name: str | None) -> str | None:
    """Which backend serves `server_name`; None for a name this front does not serve."""
    if not server_name:
        return None
    name = server_name.lower().rstrip(".")
    for pattern, backend in ROUTES:
        if pattern.fullmatch(name):
            return backend
    return None


class TlsFront:
    """Accepts TLS on `address`, relays each connection to the port of its backend.

    One asyncio loop owns every socket. (A thread per direction did not: one direction's
    close raced the other's recv or write, and after the descriptor was reused by the next
    accepted connection, that late write landed in a stranger's handshake, which failed with
    `UNEXPECTED_MESSAGE` in one connection of ten.)"""

    def __init__(self, cert: str, key: str, ports: dict[str, int], address=("127.0.0.1", 443)):
        self.ports = ports
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = self._sni
        self.names: dict[int, str | None] = {}
        self.sock = socket.create_server(address, reuse_port=False)
        self.port = self.sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(
            lambda _loop, ctx: log.info("TLS front: %s", ctx.get("exception") or ctx["message"])
        )
        self._stopped: asyncio.Future | None = None

    def _sni(self, ssl_object, server_name, _context) -> None:
        self.names[id(ssl_object)] = server_name

    def serve_forever(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve_forever())

    async def _serve_forever(self) -> None:
        self._stopped = self.loop.create_future()
        server = await asyncio.start_server(
            self._serve, sock=self.sock, ssl=self.context, ssl_handshake_timeout=10
        )
        async with server:
            await self._stopped

    def shutdown(self) -> None:
        def stop() -> None:
            if self._stopped is not None and not self._stopped.done():
                self._stopped.set_result(None)

        self.loop.call_soon_threadsafe(stop)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        name = self.names.pop(id(client_w.get_extra_info("ssl_object")), None)
        backend = backend_for(name)
        if backend is None:
            log.warning("refusing TLS connection for unknown name %r", name)
            client_w.close()
            return
        try:
            upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.ports[backend])
        except OSError as err:
            log.warning("backend %s unreachable: %s", backend, err)
            client_w.close()
            return
        for w in (client_w, upstream_w):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Either side's end (or error) ends the connection: both are closed, which wakes the
        # other direction's read.
        pumps = [
            asyncio.ensure_future(_pump(client_r, upstream_w)),
            asyncio.ensure_future(_pump(upstream_r, client_w)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for w in (client_w, upstream_w):
            w.close()
        await asyncio.gather(*pumps, return_exceptions=True)


async def _pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    """Copies src to dst until src ends or either side fails."""
    try:
        while chunk := await src.read(65536):
            dst.write(chunk)
            await dst.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass


if __name__ == "__main__":
    # tests/.venv/bin/python tests/aws/emu_tls.py DIR: a CA and a certificate for NAMES in DIR,
    # then the paths and the names, one `KIND VALUE` line each (for `cargo xtask bench`).
    if len(sys.argv) != 2:
        sys.exit("usage: emu_tls.py DIRECTORY")
    for kind, file in make_test_ca(sys.argv[1], NAMES).items():
        print(f"{kind} {file}")
    print("names " + " ".join(NAMES))
