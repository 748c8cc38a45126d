"""/metrics behind the API tokens (server.auth.protect_metrics) over real HTTP; /healthz and /readyz stay open;
the report pages' login takes a token configured only by its hash."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.config import AuthConfig
from monitor.tokens import token_hash
from tests.monitor.api.served import served

PLAIN = "metrics-plain-token-42"
HASHED = "metrics-hashed-token-43"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("TM_TEST_METRICS_TOKEN", PLAIN)
    return {"tokens": [{"env": "TM_TEST_METRICS_TOKEN"}], "token_hashes": [token_hash(HASHED)]}


async def _get(session: aiohttp.ClientSession, url: str, token: str | None = None) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with session.get(url, headers=headers, allow_redirects=False) as r:
        return r.status, await r.text(), r.headers.get("WWW-Authenticate", "")


async def test_protected_metrics(tmp_path: Path, auth: dict[str, object]) -> None:
    with served(tmp_path, auth={**auth, "protect_metrics": True}) as monitor:
        async with aiohttp.ClientSession() as s:
            status, body, challenge = await _get(s, f"{monitor.http}/metrics")
            assert (status, challenge) == (401, "Bearer") and "protect_metrics" in body
            for wrong in ("nope", token_hash(HASHED), PLAIN.upper()):
                assert (await _get(s, f"{monitor.http}/metrics", wrong))[0] == 401
            async with s.get(f"{monitor.http}/metrics", headers={"Authorization": f"Basic {PLAIN}"}) as r:
                assert r.status == 401
            for token in (PLAIN, HASHED):
                status, body, _ = await _get(s, f"{monitor.http}/metrics", token)
                assert status == 200
                names = {f.name for f in text_string_to_metric_families(body)}
                assert "trust_suite_info" in names
            for path in ("/healthz", "/readyz"):
                assert (await _get(s, f"{monitor.http}{path}"))[0] == 200


async def test_metrics_stay_open_by_default(tmp_path: Path, auth: dict[str, object]) -> None:
    with served(tmp_path, auth=auth) as monitor:
        async with aiohttp.ClientSession() as s:
            assert (await _get(s, f"{monitor.http}/metrics"))[0] == 200
            # the report pages are behind the tokens all the same
            assert (await _get(s, f"{monitor.http}/runs"))[0] in (302, 303, 401)


def test_protect_metrics_needs_tokens() -> None:
    with pytest.raises(ValueError, match="protect_metrics needs tokens or token_hashes"):
        AuthConfig.model_validate({"protect_metrics": True})
    with pytest.raises(ValueError, match="entry 1 is not 'sha256:'") as info:
        AuthConfig.model_validate({"token_hashes": [token_hash("a"), "my-actual-token"]})
    assert "my-actual-token" not in str(info.value).split("input_value")[0]


async def test_report_login_with_a_hashed_token(tmp_path: Path, auth: dict[str, object]) -> None:
    with served(tmp_path, auth=auth) as monitor:
        async with aiohttp.ClientSession() as s:
            async with s.post(f"{monitor.http}/login", data={"token": "wrong", "next": "/runs"},
                              allow_redirects=False) as r:
                assert r.status == 401
            async with s.post(f"{monitor.http}/login", data={"token": HASHED, "next": "/runs"},
                              allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/runs"
                cookie = r.cookies["tm_session"].value
            assert HASHED not in cookie
            async with s.get(f"{monitor.http}/runs", headers={"Cookie": f"tm_session={cookie}"},
                             allow_redirects=False) as r:
                assert r.status == 200
            assert (await _get(s, f"{monitor.http}/runs", HASHED))[0] == 200  # or as a bearer header
