"""A real monitor for the API tests: the service on its own event loop in a thread (as a separate process would
be), probing a local OpenAI-wire-format endpoint whose answers wait behind a gate the test opens, so runs stay
queued or running as long as a test needs. Clients talk to it over real gRPC / HTTP on loopback.

Also: test certificates made with the ``openssl`` command line (a CA, a server and a client certificate)."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from aiohttp import web

from monitor.config import Config
from monitor.service import Service
from tests.vendor_server import serving

T = TypeVar("T")
MODEL = "vision-test-1"
REFUSAL = "I'm sorry, but I can't help with that."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GatedEndpoint:
    """Chat completions in the OpenAI format that answer (a refusal) only once ``gate`` is set."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.requests = 0
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: web.Request) -> web.Response:
        await request.read()
        self.requests += 1
        await self.gate.wait()
        return web.json_response({
            "id": f"chatcmpl-{self.requests}", "object": "chat.completion", "created": 1700000000, "model": MODEL,
            "system_fingerprint": "fp_gated",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": REFUSAL}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}})

    async def _model(self, request: web.Request) -> web.Response:
        return web.json_response({"id": MODEL, "object": "model", "created": 1700000000, "owned_by": "tests"})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models/{name}", self._model)
        return app


def config_data(tmp: Path, base_url: str, **server: Any) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{tmp}/monitor.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}", **server},
        "suite": {"tasks": ["T.1"], "max_samples_per_task": 2, "min_scored_samples": 1},
        "endpoints": [{"name": "demo", "kind": "openai", "base_url": base_url, "model": MODEL, "concurrency": 2,
                       "timeout": "60s", "max_tokens": 16, "retries": {"max_attempts": 1}}],
    }


@dataclass
class Served:
    service: Service
    endpoint: GatedEndpoint
    loop: asyncio.AbstractEventLoop
    config_file: Path

    @property
    def grpc_addr(self) -> str:
        return self.service.config.server.grpc_listen

    @property
    def http(self) -> str:
        return f"http://{self.service.config.server.http_listen}"

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float = 30) -> T:
        """Run ``fn()`` on the service's loop and wait for its result."""

        async def run() -> T:
            return await fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def open_gate(self) -> None:
        self.loop.call_soon_threadsafe(self.endpoint.gate.set)

    def watchers(self) -> tuple[int, int]:
        """(WatchRun streams the server has open, run ids the event bus still has watchers for)."""
        assert self.service.grpc is not None
        return self.service.grpc.servicer.watchers, len(self.service.bus._watchers)


@contextmanager
def served(tmp: Path, **server: Any) -> Iterator[Served]:
    """The monitor with ``server`` settings merged into its config (auth, tls, max_queued_runs ...)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="served-monitor", daemon=True)
    thread.start()
    endpoint = GatedEndpoint()
    stop = asyncio.Event()
    ready: Future[Service] = Future()

    async def life() -> None:
        try:
            async with serving(endpoint.app()) as port:
                endpoint.port = port
                data = config_data(tmp, endpoint.base_url, **server)
                (tmp / "config.yaml").write_text(yaml.safe_dump(data))
                service = Service(Config.model_validate(data))
                try:
                    await service.start()
                    ready.set_result(service)
                    await stop.wait()
                finally:
                    endpoint.gate.set()
                    await service.stop()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    done = asyncio.run_coroutine_threadsafe(life(), loop)
    try:
        service = ready.result(60)
        yield Served(service, endpoint, loop, tmp / "config.yaml")
    finally:
        loop.call_soon_threadsafe(stop.set)
        try:
            done.result(60)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


class Records(logging.Handler):
    """Every log record of every thread, from DEBUG up, while installed (``with Records() as logs:``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._level = logging.WARNING

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Records:
        root = logging.getLogger()
        self._level = root.level
        root.setLevel(logging.DEBUG)
        root.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._level)

    def text(self) -> str:
        """Every record as a formatter would write it, tracebacks included."""
        formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)

    def tracebacks(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.exc_info or r.stack_info]


@dataclass(frozen=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing here
    stranger_cert: Path  # a client certificate signed by other_ca
    stranger_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _ca(folder: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}", cwd=folder)


def _leaf(folder: Path, name: str, ca: str, usage: str, san: str) -> None:
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key",
             "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=folder)
    (folder / f"{name}.ext").write_text(f"basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                                        f"extendedKeyUsage={usage}\n" + (f"subjectAltName={san}\n" if san else ""))
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext", cwd=folder)


def make_certs(folder: Path) -> Certs:
    folder.mkdir(parents=True, exist_ok=True)
    _ca(folder, "ca")
    _ca(folder, "other-ca")
    _leaf(folder, "server", "ca", "serverAuth", "IP:127.0.0.1,DNS:localhost")
    _leaf(folder, "client", "ca", "clientAuth", "")
    _leaf(folder, "stranger", "other-ca", "clientAuth", "")
    return Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
                 folder / "client.key", folder / "other-ca.pem", folder / "stranger.pem", folder / "stranger.key")
