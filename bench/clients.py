"""The baselines the monitor is measured against, sending the suite's own image+text requests.

``plain_client``: a plain asyncio HTTP client (aiohttp) at a fixed concurrency; it base64-encodes each shipped
PNG once and JSON-encodes every body, as any client must. ``one_at_a_time``: the original toolkit's way, a
synchronous loop that re-encodes the image and waits for each reply before sending the next request.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from probes.catalogue import all_tasks

MODEL = "bench-vlm"


@dataclass(frozen=True)
class SuiteRequest:
    prompt: str
    image: Path | None


def suite_requests() -> list[SuiteRequest]:
    """Every (task, variant, sample) of the built-in suite, as the monitor sends them on an on-demand run."""
    out: list[SuiteRequest] = []
    for task in all_tasks().values():
        for variant, sample in task.items():
            out.append(SuiteRequest(sample.prompt, task.image_path(sample, variant)))
    return out


def _body(prompt: str, data_url: str | None, max_tokens: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    if data_url is not None:
        content.append({"type": "image_url", "image_url": {"url": data_url}})
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": max_tokens,
            "temperature": 0.0}


async def plain_client(base_url: str, requests: list[SuiteRequest], concurrency: int,
                       max_tokens: int = 32) -> dict[str, Any]:
    urls: dict[Path, str] = {}
    url = f"{base_url}/chat/completions"
    failed = 0
    queue = iter(requests)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failed
        for req in queue:
            data_url = None
            if req.image is not None:
                data_url = urls.get(req.image)
                if data_url is None:
                    data_url = "data:image/png;base64," + base64.b64encode(req.image.read_bytes()).decode()
                    urls[req.image] = data_url
            data = json.dumps(_body(req.prompt, data_url, max_tokens)).encode()
            async with session.post(url, data=data, headers={"Content-Type": "application/json"}) as resp:
                reply = await resp.json()
                if resp.status != 200 or not isinstance(reply["choices"][0]["message"]["content"], str):
                    failed += 1

    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    return {"requests": len(requests), "failed": failed, "wall_s": wall, "requests_per_s": len(requests) / wall}


def one_at_a_time(base_url: str, requests: list[SuiteRequest], max_tokens: int = 32) -> dict[str, Any]:
    from PIL import Image

    t0 = time.perf_counter()
    for req in requests:
        data_url = None
        if req.image is not None:
            buf = io.BytesIO()
            with Image.open(req.image) as img:
                img.convert("RGB").save(buf, format="PNG")
            data_url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
        data = json.dumps(_body(req.prompt, data_url, max_tokens)).encode()
        http = urllib.request.Request(f"{base_url}/chat/completions", data=data,
                                      headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(http, timeout=30) as resp:
            json.loads(resp.read())
    wall = time.perf_counter() - t0
    return {"requests": len(requests), "wall_s": wall, "requests_per_s": len(requests) / wall}
