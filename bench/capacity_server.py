"""An OpenAI-compatible chat-completions server of known capacity, run as its own process by the benchmarks.

    .venv/bin/python bench/capacity_server.py --port 0 --service-ms 50 --capacity 32 [--rate-limit 200]

Each request is held for a fixed service time while it occupies one of ``capacity`` slots, so the server's ceiling
is ``capacity / service time`` requests/s (640 at 50 ms and 32). With ``--rate-limit R`` it also enforces R
requests/s (a token bucket of one second's burst) and answers 429 with ``Retry-After`` beyond it, as vendor APIs
do. The body is read whole and checked to be JSON holding a message, so the client's work is done for real;
the reply is a fixed answer. On start it prints ``PORT <n>`` and flushes; ``GET /stats`` counts what it served.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from aiohttp import web

ANSWER = "No. It looks ordinary to me."
_REPLY = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "bench-vlm",
    "system_fingerprint": "fp_bench",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
}).encode()


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken; otherwise the seconds until one is due."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class CapacityServer:
    def __init__(self, service_s: float, capacity: int, rate_limit: float | None) -> None:
        self.service_s = service_s
        self.slots = asyncio.Semaphore(capacity)
        self.bucket = TokenBucket(rate_limit, rate_limit) if rate_limit else None
        # first_at/last_at: wall clock (time.time) of the first request taken into a slot and the last one answered
        self.stats: dict[str, float] = {"ok": 0, "rate_limited": 0, "bad": 0, "in_flight_max": 0, "first_at": 0.0,
                                        "last_at": 0.0}
        self._in_flight = 0

    async def chat(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
            body["messages"][0]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            self.stats["bad"] += 1
            return web.json_response({"error": {"message": "bad body", "type": "invalid_request_error"}}, status=400)
        if self.bucket is not None:
            wait = self.bucket.take()
            if wait > 0:
                self.stats["rate_limited"] += 1
                return web.json_response(
                    {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
                    status=429, headers={"Retry-After": f"{wait:.3f}"})
        async with self.slots:
            self._in_flight += 1
            self.stats["in_flight_max"] = max(self.stats["in_flight_max"], self._in_flight)
            self.stats["first_at"] = self.stats["first_at"] or time.time()
            await asyncio.sleep(self.service_s)
            self._in_flight -= 1
        self.stats["ok"] += 1
        self.stats["last_at"] = time.time()
        return web.Response(body=_REPLY, content_type="application/json")

    async def model(self, request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["name"], "object": "model", "created": 1700000000,
                                  "owned_by": "bench"})

    async def get_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats)

    async def reset(self, _request: web.Request) -> web.Response:
        for key in self.stats:
            self.stats[key] = 0
        return web.json_response(self.stats)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--service-ms", type=float, default=50.0)
    parser.add_argument("--capacity", type=int, default=32)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s; 429 beyond")
    args = parser.parse_args()
    server = CapacityServer(args.service_ms / 1000, args.capacity, args.rate_limit)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", server.chat)
    app.router.add_get("/v1/models/{name}", server.model)
    app.router.add_get("/stats", server.get_stats)
    app.router.add_post("/reset", server.reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
