"""RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as AWS virtual MFA devices use it.

moto stores each virtual device's Base32 seed but never checks a TokenCode; the
patched GetSessionToken in emu_moto uses this to refuse wrong or replayed codes,
and the test-control route /_stub/totp hands tests the current code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP = 30


def code(seed_b32: str, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // STEP)
    key = base64.b32decode(seed_b32.upper() + "=" * (-len(seed_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def valid(seed_b32: str, token: str, at: float | None = None) -> bool:
    """AWS accepts the current code and its neighbours (clock drift)."""
    now = time.time() if at is None else at
    return any(hmac.compare_digest(code(seed_b32, now + d * STEP), token) for d in (-1, 0, 1))
