"""Accepted API tokens held as digests: plain and hashed tokens match, nothing else does."""

from __future__ import annotations

import hashlib

from monitor.tokens import TokenSet, token_hash


def test_token_hash_is_the_sha256_of_the_token() -> None:
    assert token_hash("abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()


def test_plain_and_hashed_tokens_match() -> None:
    tokens = TokenSet(["plain-one"], [token_hash("hashed-two")])
    assert tokens and len(tokens) == 2
    assert tokens.matches("plain-one") and tokens.matches(b"hashed-two")
    for wrong in ("", "plain-on", "plain-one ", "PLAIN-ONE", token_hash("hashed-two"), "hashed-two\x00"):
        assert not tokens.matches(wrong), wrong
    assert tokens.bearer("Bearer hashed-two") and tokens.bearer("Bearer  plain-one ")
    assert not tokens.bearer("hashed-two") and not tokens.bearer("Basic plain-one") and not tokens.bearer(None)
    assert not tokens.bearer("Bearer ")
    assert not TokenSet() and not TokenSet().matches("anything")
