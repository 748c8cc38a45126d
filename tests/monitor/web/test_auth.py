"""Sessions and CSRF tokens of the report pages: signed with the token's key, expire, die with their token."""

from __future__ import annotations

from monitor.web.auth import SESSION_S, Principal, WebAuth


def test_bearer_and_token_checks() -> None:
    auth = WebAuth(["alpha-token", "beta-token"])
    assert auth.enabled
    assert auth.bearer("Bearer beta-token") and not auth.bearer("Bearer nope") and not auth.bearer("beta-token")
    assert not auth.bearer(None) and not auth.bearer("Bearer ")
    assert auth.token_ok("alpha-token") and not auth.token_ok("") and not auth.token_ok("alpha")
    assert not WebAuth([]).enabled


def test_session_round_trip_expiry_and_tampering() -> None:
    auth = WebAuth(["alpha-token"])
    cookie = auth.new_session("alpha-token", now=1000.0)
    assert "alpha-token" not in cookie
    principal = auth.session(cookie, now=1000.0 + SESSION_S - 1)
    assert principal is not None and principal.kind == "session"
    assert auth.session(cookie, now=1000.0 + SESSION_S + 1) is None
    assert auth.session(cookie, now=999.0) is None  # issued in the future
    issued, nonce, kid, mac = cookie.split(".")
    assert auth.session(f"{issued}.{nonce}.{kid}.{'0' * len(mac)}", now=1000.0) is None
    assert auth.session(f"{int(issued) + 5}.{nonce}.{kid}.{mac}", now=1010.0) is None
    assert auth.session("garbage", now=1000.0) is None and auth.session(None) is None


def test_a_removed_token_ends_its_sessions_and_not_the_others() -> None:
    both = WebAuth(["alpha-token", "beta-token"])
    a, b = both.new_session("alpha-token", now=0.0), both.new_session("beta-token", now=0.0)
    only_beta = WebAuth(["beta-token"])
    assert only_beta.session(a, now=1.0) is None
    assert only_beta.session(b, now=1.0) is not None


def test_csrf_is_tied_to_the_session() -> None:
    auth = WebAuth(["alpha-token"])
    one = auth.session(auth.new_session("alpha-token", now=0.0), now=1.0)
    two = auth.session(auth.new_session("alpha-token", now=0.0), now=1.0)
    assert one is not None and two is not None
    assert auth.csrf(one) and auth.csrf(one) != auth.csrf(two)
    assert auth.csrf_ok(one, auth.csrf(one)) and not auth.csrf_ok(one, auth.csrf(two))
    assert not auth.csrf_ok(one, "") and not auth.csrf_ok(one, None)
    assert auth.csrf_ok(Principal("bearer"), None)  # no cookie, nothing to forge
    assert not auth.csrf_ok(Principal("open"), "x") and auth.csrf(Principal("open")) == ""
