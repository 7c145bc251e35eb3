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

import logging
import os
import re
import socket
import ssl
import subprocess
import sys
import threading

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
    """Accepts TLS on `address`, relays each connection to the port of its backend."""

    def __init__(self, cert: str, key: str, ports: dict[str, int], address=("127.0.0.1", 443)):
        self.ports = ports
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = self._sni
        self.names: dict[int, str | None] = {}
        self.sock = socket.create_server(address, reuse_port=False)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()

    def _sni(self, tls_sock, server_name, _context) -> None:
        self.names[id(tls_sock)] = server_name

    def serve_forever(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                raw, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def shutdown(self) -> None:
        self._stop.set()
        self.sock.close()

    def _serve(self, raw: socket.socket) -> None:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as err:
            log.info("TLS handshake failed: %s", err)
            raw.close()
            return
        name = self.names.pop(id(tls), None)
        backend = backend_for(name)
        if backend is None:
            log.warning("refusing TLS connection for unknown name %r", name)
            tls.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.ports[backend]))
        except OSError as err:
            log.warning("backend %s unreachable: %s", backend, err)
            tls.close()
            return
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pump, args=(upstream, tls), daemon=True).start()
        _pump(tls, upstream)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    """Copies src to dst until either side closes, then closes both."""
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        # shutdown, not only close: it wakes the other direction's thread blocked in recv
        # on the same socket, and sends the FIN the client waits for.
        for s in (src, dst):
            for end in (lambda: s.shutdown(socket.SHUT_RDWR), s.close):
                try:
                    end()
                except OSError:
                    pass


if __name__ == "__main__":
    # tests/.venv/bin/python tests/aws/emu_tls.py DIR: a CA and a certificate for NAMES in DIR,
    # then the paths and the names, one `KIND VALUE` line each (for `cargo xtask bench`).
    if len(sys.argv) != 2:
        sys.exit("usage: emu_tls.py DIRECTORY")
    for kind, file in make_test_ca(sys.argv[1], NAMES).items():
        print(f"{kind} {file}")
    print("names " + " ".join(NAMES))
