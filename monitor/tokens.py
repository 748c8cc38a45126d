"""The API tokens the gRPC API, /metrics and the report pages accept: given plainly (``server.auth.tokens``, secret
refs) or as SHA-256 digests (``server.auth.token_hashes``, ``sha256:<hex>``), so that a config file need hold no
token at all.

A presented token is hashed once and its digest compared with every accepted digest in constant time
(:func:`hmac.compare_digest`, no early exit), so neither the token nor which entry matched shows in the timing.
One unsalted SHA-256 is enough because API tokens are random (``openssl rand -hex 32``: 256 bits): there is no
dictionary to try, unlike passwords, which would need a slow salted hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HASH_PREFIX = "sha256:"


def token_hash(token: str) -> str:
    """``sha256:<hex>`` of a token, the form ``server.auth.token_hashes`` takes."""
    return HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


class TokenSet:
    """Accepted tokens, held only as digests."""

    def __init__(self, tokens: Sequence[str] = (), hashes: Sequence[str] = ()) -> None:
        digests = [hashlib.sha256(t.encode()).digest() for t in tokens]
        digests += [bytes.fromhex(h.removeprefix(HASH_PREFIX)) for h in hashes]
        self._digests = digests

    def __bool__(self) -> bool:
        return bool(self._digests)

    def __len__(self) -> int:
        return len(self._digests)

    def matches(self, presented: str | bytes) -> bool:
        raw = presented.encode() if isinstance(presented, str) else presented
        if not raw:
            return False
        digest = hashlib.sha256(raw).digest()
        found = False
        for accepted in self._digests:
            found |= hmac.compare_digest(digest, accepted)
        return found

    def bearer(self, header: str | None) -> bool:
        """An ``Authorization`` header value of the form ``Bearer <accepted token>``."""
        if not header or not header.startswith("Bearer "):
            return False
        return self.matches(header.removeprefix("Bearer ").strip())
