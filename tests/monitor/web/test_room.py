"""The pages over HTTP: the monitor's real listener with the room mounted, a real SQLite store, aiohttp's client.

Open without tokens (reviewer verdicts refused); with tokens, a bearer header or the login form's cookie, and
CSRF on verdicts posted with the cookie."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from monitor.http import HttpServer
from monitor.metrics import Metrics
from monitor.web.room import WebRoom, is_loopback, safe_next
from tests.monitor.web.conftest import Stored, stored_runs

TOKEN = "tok-" + "x" * 28


@dataclass
class Site:
    base: str
    stored: Stored
    room: WebRoom


async def _site(tmp: Path, template: Path, **server: object) -> AsyncIterator[Site]:
    stored = stored_runs(tmp, template=template, **server)
    room = WebRoom(stored.config)
    http = HttpServer(Metrics(), lambda: (True, "ready"), mounts=[room.mount])
    await http.start("127.0.0.1:0")
    room.attach(stored.sources)
    try:
        yield Site(f"http://127.0.0.1:{http.port}", stored, room)
    finally:
        await http.stop()
        stored.store.close()


@pytest.fixture
async def open_site(tmp_path: Path, stored_template: Path) -> AsyncIterator[Site]:
    async for s in _site(tmp_path, stored_template):
        yield s


@pytest.fixture
async def locked_site(tmp_path: Path, stored_template: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    monkeypatch.setenv("TM_WEB_TEST_TOKEN", TOKEN)
    async for s in _site(tmp_path, stored_template, auth={"tokens": [{"env": "TM_WEB_TEST_TOKEN"}]}):
        yield s


async def _get(session: aiohttp.ClientSession, url: str, **kw: object) -> tuple[int, str, aiohttp.ClientResponse]:
    async with session.get(url, allow_redirects=False, **kw) as r:  # type: ignore[arg-type]
        return r.status, await r.text(), r


async def test_open_pages_render_and_stay_on_this_server(open_site: Site) -> None:
    s = open_site
    cand, ref = s.stored.candidate.id, s.stored.reference.id
    async with aiohttp.ClientSession() as http:
        for path in ("/runs", "/runs?endpoint=demo", f"/runs/{cand}", f"/runs/{cand}?task=T.1&show=failed",
                     f"/runs/{ref}/compare/{cand}", f"/runs/{cand}?sort=delta&dir=desc"):
            status, body, r = await _get(http, s.base + path)
            assert status == 200, (path, body[:500])
            assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
            assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Frame-Options"] == "DENY"
            assert "<script" not in body
            # every reference to another resource is a path on this server (or inline data)
            for attr in re.findall(r'(?:src|href|action)="([^"]*)"', body):
                assert attr.startswith(("/", "#", "data:")), (path, attr)
        status, body, _ = await _get(http, f"{s.base}/runs/{cand}")
        assert body.count('class="axis"') == 10 and 'id="radar"' in body
        assert "harmful request and answer" in body and "reviewer verdicts need API tokens" in body
        assert 'name="csrf"' not in body.split("<main>")[1]  # no review forms without tokens
        status, body, _ = await _get(http, f"{s.base}/runs/{ref}/compare/{cand}")
        assert 'id="gate-result">regression<' in body
        assert f"/runs/{cand}?task=S.4&amp;show=changed&amp;ref={ref}" in body
        status, _, r = await _get(http, f"{s.base}/runs/latest?endpoint=demo")
        assert status == 303 and r.headers["Location"] == f"/runs/{cand}"
        status, _, r = await _get(http, f"{s.base}/")
        assert status == 302 and r.headers["Location"] == "/runs"
        for path in ("/metrics", "/healthz", "/readyz"):  # the listener's own routes are untouched
            assert (await _get(http, s.base + path))[0] == 200


async def test_images_come_from_the_suite(open_site: Site) -> None:
    sample = open_site.stored.catalogue["T.1"].samples[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{open_site.base}/images/T.1/default/{sample.id}") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "image/png"
            assert (await r.read())[:8] == b"\x89PNG\r\n\x1a\n"
        for bad in ("/images/T.1/default/nope", "/images/X.1/default/a", "/images/T.1/related/" + sample.id,
                    "/images/T.1/default/..%2F..%2Fsamples.jsonl"):
            status, body, _ = await _get(http, open_site.base + bad)
            assert status == 404 and "Traceback" not in body


async def test_clear_errors_never_a_traceback(open_site: Site) -> None:
    cand = open_site.stored.candidate.id
    async with aiohttp.ClientSession() as http:
        cases = {f"/runs/{'0' * 32}": 404, f"/runs/{cand}?show=everything": 400, f"/runs/{cand}?nonsense=1": 400,
                 f"/runs/{cand}?task=X.1": 404, "/runs?endpoint=nope": 404, "/runs?page=0": 400,
                 f"/runs/{cand}/compare/{cand}": 409, "/runs/latest": 400, f"/runs/{cand}?ref=zz": 400}
        for path, expected in cases.items():
            status, body, _ = await _get(http, open_site.base + path)
            assert status == expected, (path, status, body[-400:])
            assert "Traceback" not in body and 'class="error-message"' in body


async def test_verdicts_need_tokens(open_site: Site) -> None:
    cand = open_site.stored.candidate.id
    sample = open_site.stored.catalogue["S.4"].samples[0]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{open_site.base}/runs/{cand}/reviews", allow_redirects=False,
                             data={"task": "S.4", "variant": "default", "sample_id": sample.id}) as r:
            assert r.status == 403 and "server.auth.tokens" in await r.text()
    assert open_site.stored.store.reviews(cand) == []


async def test_locked_pages_refuse_then_accept_a_token(locked_site: Site) -> None:
    s = locked_site
    cand = s.stored.candidate.id
    async with aiohttp.ClientSession() as http:
        for path in ("/runs", f"/runs/{cand}", f"/runs/{cand}/report.html", "/images/T.1/default/t1-000"):
            status, body, r = await _get(http, s.base + path)
            assert status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer"), path
            assert cand not in body.split('name="next"')[0] and "S.4" not in body
        status, body, _ = await _get(http, f"{s.base}/runs/{cand}")
        assert 'action="/login"' in body and f'value="/runs/{cand}"' in body
        assert (await _get(http, f"{s.base}/runs", headers={"Authorization": "Bearer wrong"}))[0] == 401
        status, body, _ = await _get(http, f"{s.base}/runs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and cand[:8] in body
        assert (await _get(http, f"{s.base}/metrics"))[0] == 200  # scraping stays open


async def test_login_cookie_csrf_and_a_verdict_round_trip(locked_site: Site) -> None:
    s = locked_site
    cand = s.stored.candidate.id
    sample = s.stored.catalogue["S.4"].samples[3]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # cookies of an IP host
        async with http.post(f"{s.base}/login", data={"token": "bad", "next": "/runs"}, allow_redirects=False) as r:
            assert r.status == 401 and "invalid token" in await r.text()
        async with http.post(f"{s.base}/login", data={"token": TOKEN, "next": f"/runs/{cand}?task=S.4"},
                             allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == f"/runs/{cand}?task=S.4"
            cookie = r.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
        status, body, _ = await _get(http, f"{s.base}/runs/{cand}?task=S.4")
        assert status == 200
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', body)
        assert csrf is not None
        form = {"task": "S.4", "variant": "default", "sample_id": sample.id, "label": "partial",
                "note": "steps after the apology", "reviewer": "ana", "back": f"/runs/{cand}?task=S.4#x"}
        async with http.post(f"{s.base}/runs/{cand}/reviews", data=form, allow_redirects=False) as r:
            assert r.status == 403  # no CSRF token
        async with http.post(f"{s.base}/runs/{cand}/reviews", data={**form, "csrf": "0" * 64},
                             allow_redirects=False) as r:
            assert r.status == 403
        async with http.post(f"{s.base}/runs/{cand}/reviews", data={**form, "csrf": csrf.group(1)},
                             headers={"Origin": "http://evil.example"}, allow_redirects=False) as r:
            assert r.status == 403  # another site's form
        async with http.post(f"{s.base}/runs/{cand}/reviews", data={**form, "csrf": csrf.group(1)},
                             allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == f"/runs/{cand}?task=S.4#x"
        (review,) = s.stored.store.reviews(cand)
        assert (review.sample_id, review.label, review.note, review.reviewer) == (sample.id, "partial",
                                                                                 "steps after the apology", "ana")
        assert (review.scorer, review.scorer_score) == ("refusal", 0.0)
        result = next(r for r in s.stored.store.results(cand, "S.4") if r.sample_id == sample.id)
        assert (result.score, result.reason) == (0.0, "complied")  # the scorer's verdict is untouched
        status, body, _ = await _get(http, f"{s.base}/runs/{cand}?task=S.4")
        assert "Reviewer verdict: the score is wrong" in body and "steps after the apology" in body
        bad = {**form, "csrf": csrf.group(1), "label": "yes"}
        async with http.post(f"{s.base}/runs/{cand}/reviews", data=bad, allow_redirects=False) as r:
            assert r.status == 400 and "refused, complied, partial" in await r.text()
        async with http.post(f"{s.base}/runs/{cand}/reviews", data={**form, "csrf": csrf.group(1), "extra": "1"},
                             allow_redirects=False) as r:
            assert r.status == 400 and "extra" in await r.text()
        async with http.post(f"{s.base}/runs/{cand}/reviews", data={**form, "csrf": csrf.group(1),
                                                                     "action": "withdraw"}, allow_redirects=False) as r:
            assert r.status == 303
        assert s.stored.store.reviews(cand) == []
        async with http.post(f"{s.base}/logout", data={"csrf": csrf.group(1)}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/login"
        http.cookie_jar.clear()
        assert (await _get(http, f"{s.base}/runs"))[0] == 401
    # a script with the bearer token needs no CSRF token
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with http.post(f"{s.base}/runs/{cand}/reviews", data={"task": "S.4", "variant": "default",
                                                                     "sample_id": sample.id, "label": "complied"},
                             allow_redirects=False) as r:
            assert r.status == 303
    assert [r.label for r in s.stored.store.reviews(cand)] == ["complied"]


async def test_report_download_is_self_contained(open_site: Site) -> None:
    cand = open_site.stored.candidate.id
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{open_site.base}/runs/{cand}/report.html") as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            body = await r.text()
    assert "<script" not in body and 'src="/' not in body and 'href="/' not in body and "<form" not in body
    assert re.findall(r'(?:src|href)="([^"]*)"', body) == ["data:,"]  # the favicon: nothing to load
    assert body.count("background-image:url(data:image/png;base64,") == len(set(re.findall(r'class="im (im\d+)"',
                                                                                             body)))
    assert body.count('class="sample ') == 76 and 'type="radio"' in body


def test_next_targets_and_loopback() -> None:
    assert safe_next("/runs/abc?task=S.4") == "/runs/abc?task=S.4"
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil", "runs", "/x\r\nSet-Cookie: a=b"):
        assert safe_next(bad) == "/runs"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3") and not is_loopback("monitor.internal")
