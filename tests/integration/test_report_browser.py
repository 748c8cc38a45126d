"""The run report in a real browser: Debian's headless Chromium, driven by Playwright, against the monitor probing
the real Triton demo model.

Triton serves version 1 of the demo model (it refuses the harmful probe requests); the monitor, with an API token
configured, runs S.4 and T.1; version 2 (it complies) is rolled out and they run again. The browser is refused
without the token, logs in with it, and opens /runs, the new run's page and the release-gate comparison: no
console error, the radar chart has 10 axes, the filters change the sample list, a reviewer verdict round-trips
through the store, and every request the pages make goes to 127.0.0.1. The one-file export is opened from disk:
its CSS filters work and it loads nothing. Screenshots go to var/test-output/report/ (docs/img/ holds copies).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitor.config import Config
from monitor.service import Service
from monitor.web import views
from tests.integration.test_service import free_port
from tests.promstack import binary
from tests.triton_repository import RepositoryServer

pytestmark = [pytest.mark.triton]

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "var" / "test-output" / "report"
TOKEN = "report-browser-test-token-0123456789"
TASKS = ["S.4", "T.1"]
PER_TASK = 20  # samples of each task: enough for verdicts and for both outcomes of T.1, and quick


def _chromium() -> str:
    path = binary("chromium", "chromium-browser")
    try:
        import playwright  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed; `make install` installs it")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    return path


async def _run(service: Service) -> Any:
    record = service.runs.start("demo", None, "api")
    await service.runs.wait(record.id)
    done = service.store.get_run(record.id)
    assert done is not None and done.status.value == "succeeded", done
    return done


async def test_report_pages_in_a_real_browser(tmp_path: Path, triton_repo: RepositoryServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = _chromium()
    from playwright.async_api import async_playwright

    monkeypatch.setenv("TM_REPORT_TEST_TOKEN", TOKEN)
    http = f"127.0.0.1:{free_port()}"
    config = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": http,
                   "auth": {"tokens": [{"env": "TM_REPORT_TEST_TOKEN"}]}},
        "suite": {"tasks": TASKS, "max_samples_per_task": PER_TASK},
        "endpoints": [{"name": "demo", "kind": "triton", "url": triton_repo.grpc_url, "model": triton_repo.model_name,
                       "concurrency": 4, "timeout": "30s", "max_tokens": 32}],
    })
    OUTPUT.mkdir(parents=True, exist_ok=True)
    base = f"http://{http}"
    service = Service(config)
    await service.start()
    try:
        t0 = time.monotonic()
        before = await _run(service)
        t1 = time.monotonic()
        triton_repo.roll_out("2")  # the unsafe update
        deadline = time.monotonic() + 60
        while "2" not in triton_repo.served_versions():
            assert time.monotonic() < deadline, "Triton did not load version 2"
            await asyncio.sleep(0.5)
        t2 = time.monotonic()
        after = await _run(service)
        print(f"\nfirst run {t1 - t0:.1f}s, version switch {t2 - t1:.1f}s, second run {time.monotonic() - t2:.1f}s")
        assert (before.model_version, after.model_version) == ("1", "2")

        requests: list[str] = []
        console: list[str] = []
        started = time.monotonic()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=[
                # anything not on this machine fails to resolve: nothing can leave, even by accident
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--disable-background-networking", "--disable-component-update", "--no-first-run"])
            page = await browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))

            # no token: refused, with a login form and nothing of the run
            refused = await page.goto(f"{base}/runs/{after.id}")
            assert refused is not None and refused.status == 401
            assert await page.locator("form.login").count() == 1 and await page.locator("li.sample").count() == 0
            console.clear()  # the 401 itself is logged as a failed load; from here on nothing may be
            await page.fill("input[name=token]", TOKEN)
            async with page.expect_navigation():
                await page.click("form.login button[type=submit]")
            assert page.url == f"{base}/runs/{after.id}"

            # the runs list, newest first, one click to the run
            await page.goto(f"{base}/runs?endpoint=demo")
            assert await page.locator("tr.run-row").count() == 2
            async with page.expect_navigation():
                await page.locator("a.run-link").first.click()
            assert page.url == f"{base}/runs/{after.id}"

            # the run: radar with 10 axes, the regression, the task table; opens on the regressed task's samples
            assert await page.locator("svg#radar line.axis").count() == 10
            assert await page.locator("svg#radar #radar-series-ref").count() == 1
            assert await page.locator("h1 .verdict.regressed").count() == 1
            assert await page.locator("#task-table tbody tr").count() == 32
            s4 = page.locator('#task-table tr[data-task="S.4"]')
            assert await s4.locator(".verdict.regressed").count() == 1
            await page.screenshot(path=str(OUTPUT / "run.png"))

            samples = page.locator("#samples-S\\.4 li.sample")
            assert await samples.count() == PER_TASK

            async def show(task: str, name: str) -> int:
                async with page.expect_navigation():
                    await page.click(f'div.filters[id="filters-{task}"] a[data-filter="{name}"]')
                return await page.locator("li.sample").count()

            # version 2 complies with every jailbreak: none passes, all changed; T.1 answers as before
            assert await show("S.4", "passed") == 0 and await page.locator("p.empty").count() == 1
            assert await show("S.4", "failed") == PER_TASK
            async with page.expect_navigation():
                await page.click('#task-table tr[data-task="T.1"] a.task-link')
            assert await page.locator("#samples-T\\.1 li.sample").count() == PER_TASK
            failed, passed = await show("T.1", "failed"), await show("T.1", "passed")
            assert 0 < failed < PER_TASK and 0 < passed < PER_TASK and failed + passed <= PER_TASK
            async with page.expect_navigation():
                await page.click('#task-table tr[data-task="S.4"] a.task-link')
            counts = {"failed": PER_TASK, "changed": await show("S.4", "changed")}
            assert counts["changed"] == PER_TASK
            # the changed ones show the reference's answer beside the new one, behind the harmful-content click
            first = samples.first
            assert await first.locator(".answer.reference").count() == 1
            assert not await first.locator(".answer.reference").is_visible()
            await first.locator("details.harmful > summary").click()
            assert await first.locator(".answer.reference").is_visible()
            await first.scroll_into_view_if_needed()
            await first.locator("img").first.evaluate("img => img.decode()")
            await page.screenshot(path=str(OUTPUT / "samples.png"))

            # a reviewer verdict, through the page's own form, into the store and back onto the page
            sample_id = await first.get_attribute("data-sample")
            await first.locator("details.review > summary").click()
            await first.locator("select[name=label]").select_option("refused")
            await first.locator("input[name=note]").fill("browser test: says no, then lists steps")
            async with page.expect_navigation():
                await first.locator('button[value="mark"]').click()
            (review,) = service.store.reviews(after.id)
            assert (review.sample_id, review.label) == (sample_id, "refused")
            marked = page.locator(f'li.sample[data-sample="{sample_id}"]')
            assert "browser test: says no" in await marked.locator(".review-verdict").inner_text()
            assert await s4.locator("td").last.inner_text() == "1"  # scorer disagreements

            # the release gate as a page
            await page.goto(f"{base}/runs/{before.id}/compare/{after.id}")
            assert (await page.locator("#gate-result").inner_text()).strip() == "regression"
            assert await page.locator('#compare-table tr.verdict-regressed[data-name="S.4"]').count() == 1
            await page.set_viewport_size({"width": 1400, "height": 300})  # the page's own height, no blank below
            await page.screenshot(path=str(OUTPUT / "compare.png"), full_page=True)
            seconds = time.monotonic() - started

            # the one-file export, opened from disk: CSS filters, nothing loaded from anywhere
            export = tmp_path / "report.html"
            view = await asyncio.to_thread(views.run_view, service.web.sources, after.id, views.RunQuery(),
                                           everything=True)
            export.write_text(service.web.renderer.export(view), encoding="utf-8")
            served = list(requests)
            requests.clear()
            await page.goto(export.as_uri())
            visible = page.locator("#samples-S\\.4 li.sample:visible")
            assert await visible.count() == PER_TASK
            await page.click('label[for="show-S.4-failed"]')
            assert await visible.count() == counts["failed"]
            assert all(u.startswith(("file:", "data:")) for u in requests), requests
            await browser.close()

        assert not console, console
        hosts = {urlsplit(u).hostname for u in served}
        assert hosts == {"127.0.0.1"}, served
        assert any("/images/S.4/" in u for u in served)  # the thumbnails came from the monitor
        print(f"\nbrowser part: {seconds:.1f}s, {len(served)} requests, all to 127.0.0.1; screenshots in {OUTPUT}")
    finally:
        await service.stop()
