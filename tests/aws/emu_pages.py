"""HTML pages of the fake sign-in host and the fake console.

Every fact a test reads is in an element with a fixed id, so browser tests can use
`#account`, `#role`, `#arn`, `#signed-out`... rather than parse prose.
"""

from __future__ import annotations

import datetime
from html import escape


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="seconds")


def console(session, path: str, logout_url: str) -> bytes:
    """The signed-in console: shows who the browser is signed in as."""
    return _page(
        f"Console - {session.account_id} - {session.name}",
        f"""<h1>Fake AWS console</h1>
<dl>
<dt>Account</dt><dd><span id="account">{escape(session.account_id)}</span></dd>
<dt>Role</dt><dd><span id="role">{escape(session.name)}</span></dd>
<dt>Session name</dt><dd><span id="session-name">{escape(session.session_name or '')}</span></dd>
<dt>Kind</dt><dd><span id="kind">{escape(session.kind)}</span></dd>
<dt>ARN</dt><dd><span id="arn">{escape(session.arn)}</span></dd>
<dt>Console session expires</dt><dd><span id="expires">{_iso(session.expires_at)}</span></dd>
<dt>Page</dt><dd><span id="path">{escape(path)}</span></dd>
</dl>
<p><a id="logout" href="{escape(logout_url)}">Sign out</a></p>""",
    )


def signed_out(reason: str) -> bytes:
    return _page(
        "Console - signed out",
        f"""<h1>Fake AWS console</h1>
<p><span id="signed-out">Signed out</span>: <span id="reason">{escape(reason)}</span></p>""",
    )


def error(message: str) -> bytes:
    """What the sign-in host shows for a refused login (AWS shows a similar page)."""
    return _page(
        "Amazon Web Services Sign-In",
        f"<h1>Sign-in failed</h1>\n<p><span id=\"error\">{escape(message)}</span></p>",
    )
