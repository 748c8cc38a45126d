"""The report pages accept a token configured only as its SHA-256 hash: bearer header, login and sessions."""

from __future__ import annotations

from monitor.tokens import token_hash
from monitor.web.auth import WebAuth


def test_hashed_token_logs_in_and_its_session_holds() -> None:
    auth = WebAuth([], [token_hash("hashed-token")])
    assert auth.enabled and auth.token_ok("hashed-token") and auth.bearer("Bearer hashed-token")
    assert not auth.token_ok(token_hash("hashed-token"))  # the hash is no token
    cookie = auth.new_session("hashed-token", now=100.0)
    assert "hashed-token" not in cookie
    principal = auth.session(cookie, now=101.0)
    assert principal is not None and auth.csrf_ok(principal, auth.csrf(principal))
    # a restarted process knows the hash, but no key to check the cookie with: log in again
    assert WebAuth([], [token_hash("hashed-token")]).session(cookie, now=101.0) is None


def test_plain_sessions_survive_a_restart_and_die_with_their_token() -> None:
    cookie = WebAuth(["plain-token"]).new_session("plain-token", now=0.0)
    assert WebAuth(["plain-token"]).session(cookie, now=1.0) is not None
    assert WebAuth([], [token_hash("plain-token")]).session(cookie, now=1.0) is None


def test_no_session_for_a_token_that_is_not_accepted() -> None:
    auth = WebAuth(["plain-token"])
    try:
        auth.new_session("other-token")
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a session for an unknown token")
