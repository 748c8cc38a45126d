"""Who may see the report pages and who may give reviewer verdicts.

With ``server.auth.tokens`` or ``server.auth.token_hashes`` configured, a request needs ``Authorization: Bearer
<token>`` (one of the gRPC API's tokens) or a session cookie from the login form, which asks for such a token
once. Without tokens the pages are open (as the gRPC API is), and reviewer verdicts are refused: a verdict needs
someone who proved a token.

The session cookie is stateless: ``<issued>.<nonce>.<key id>.<mac>``, signed with a key derived from the token
used to log in, so it dies with its token (remove a token from the config and its sessions end). A plainly
configured token's sessions survive a restart; a hashed token's key is known only once someone has logged in
with the token, so its sessions end at a restart (log in again): the config holds nothing to sign cookies with,
which is the point of giving the hash. The CSRF token of a session is a second MAC over its nonce. Tokens never
leave this module: no log line, page or cookie holds one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.tokens import TokenSet

COOKIE = "tm_session"
SESSION_S = 12 * 3600
_CONTEXT = b"trust-monitor web session v1"


@dataclass(frozen=True)
class Principal:
    """How a request proved itself: ``bearer`` (header), ``session`` (cookie) or ``open`` (no tokens configured)."""

    kind: str
    nonce: str = ""  # the session's, for its CSRF token


class WebAuth:
    def __init__(self, tokens: Sequence[str], hashes: Sequence[str] = ()) -> None:
        self._accepted = TokenSet(tokens, hashes)
        self._keys = {self._kid(k): k for k in (self._key(t) for t in tokens)}

    @staticmethod
    def _key(token: str) -> bytes:
        return hmac.new(token.strip().encode(), _CONTEXT, hashlib.sha256).digest()

    @staticmethod
    def _kid(key: bytes) -> str:
        return hashlib.sha256(b"kid" + key).hexdigest()[:12]

    @property
    def enabled(self) -> bool:
        return bool(self._accepted)

    def token_ok(self, presented: str) -> bool:
        return self._accepted.matches(presented.strip())

    def bearer(self, header: str | None) -> bool:
        return self._accepted.bearer(header)

    def new_session(self, token: str, now: float | None = None) -> str:
        """A cookie value for a login with ``token`` (which must be valid: ``token_ok``)."""
        if not self.token_ok(token):
            raise ValueError("new_session needs an accepted token")
        key = self._key(token)
        self._keys[self._kid(key)] = key  # a hashed token's key, known from now on (at most one per token)
        issued = str(int(now if now is not None else time.time()))
        nonce = secrets.token_hex(16)
        kid = self._kid(key)
        return f"{issued}.{nonce}.{kid}.{self._mac(key, issued, nonce)}"

    def session(self, cookie: str | None, now: float | None = None) -> Principal | None:
        if not cookie:
            return None
        parts = cookie.split(".")
        if len(parts) != 4:
            return None
        issued, nonce, kid, mac = parts
        key = self._keys.get(kid)
        if key is None or not issued.isdigit() or not hmac.compare_digest(mac, self._mac(key, issued, nonce)):
            return None
        age = (now if now is not None else time.time()) - int(issued)
        if not 0 <= age <= SESSION_S:
            return None
        return Principal("session", f"{kid}.{nonce}")

    def csrf(self, principal: Principal) -> str:
        """The token a session's forms carry; empty for bearer and open requests (no cookie to ride on)."""
        if principal.kind != "session":
            return ""
        kid, nonce = principal.nonce.split(".", 1)
        key = self._keys.get(kid)
        return "" if key is None else hmac.new(key, b"csrf." + nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, principal: Principal, presented: str | None) -> bool:
        if principal.kind == "bearer":
            return True  # a header a browser never adds by itself
        expected = self.csrf(principal)
        return bool(expected) and bool(presented) and hmac.compare_digest(expected, presented or "")

    @staticmethod
    def _mac(key: bytes, issued: str, nonce: str) -> str:
        return hmac.new(key, f"{issued}.{nonce}".encode(), hashlib.sha256).hexdigest()
