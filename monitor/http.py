"""HTTP side: /metrics (Prometheus text format), /healthz (process alive), /readyz (ready to serve), and the
routes of whoever asks to be mounted here (the run report pages, monitor.web).

With ``server.auth.protect_metrics``, /metrics answers only a request carrying ``Authorization: Bearer <token>``
(one of the API tokens; 401 otherwise); /healthz and /readyz stay open for probes. The presented header is
never logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.metrics import Metrics
from monitor.tokens import TokenSet


def split_hostport(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


class HttpServer:
    def __init__(self, metrics: Metrics, ready: Callable[[], tuple[bool, str]],
                 mounts: Sequence[Callable[[web.Application], None]] = (),
                 metrics_tokens: TokenSet | None = None) -> None:
        self._metrics = metrics
        self._metrics_tokens = metrics_tokens
        self._ready = ready
        self._mounts = list(mounts)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, address: str) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._handle_metrics)
        app.router.add_get("/healthz", self._handle_health)
        app.router.add_get("/readyz", self._handle_ready)
        for mount in self._mounts:
            mount(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, port = split_hostport(address)
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle_metrics(self, request: web.Request) -> web.Response:
        if self._metrics_tokens is not None and not self._metrics_tokens.bearer(request.headers.get("Authorization")):
            return web.Response(status=401, text="/metrics needs 'Authorization: Bearer <token>' "
                                "(server.auth.protect_metrics)\n", headers={"WWW-Authenticate": "Bearer"})
        # off the event loop; the published scores were rendered by their publication, the rest is rendered
        # again only where it changed (Metrics.exposition)
        body = await asyncio.to_thread(self._metrics.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _handle_health(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _handle_ready(self, _request: web.Request) -> web.Response:
        ok, why = self._ready()
        return web.Response(text=f"{why}\n", status=200 if ok else 503)
