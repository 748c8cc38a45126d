"""Adapter for a transformers image-text-to-text model stored in a local directory, run in this process.

The model (``AutoProcessor`` + ``AutoModelForImageTextToText``, see :mod:`monitor.adapters._hf_generate`) loads once,
on a dedicated worker thread started when the adapter is created; torch and transformers are imported there, so
the service never imports them unless an hf-local endpoint is configured. ``identity()`` waits for the load, so a
run starts with the model in memory; a load that failed is tried again at the next ``identity()`` (the next run).

Generation is greedy and runs on that ONE worker thread (models are not thread-safe), one request at a time, fed by
a bounded asyncio queue of ``queue_size`` waiting requests: a request that finds the queue full fails at once with
RATE_LIMITED (retried by the runner with backoff). The per-request timeout covers the wait in the queue and the
generation: a request whose deadline passes raises TIMEOUT; the worker skips it if it has not started, and stops
generating it (at the next token) if it has. ``close()`` fails the waiting requests, stops the worker and frees
the model.

Errors name the endpoint and never contain the prompt: a model directory that does not load is a CLIENT error
(``cannot load model from DIR: ...``); a request the model rejects (bad image, prompt too long) is CLIENT; other
failures during generation (out of memory, ...) are SERVER.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from monitor.adapters import register_adapter
from monitor.adapters.base import AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply

if TYPE_CHECKING:
    from monitor.adapters._hf_generate import LocalModel
    from monitor.config import HFLocalEndpoint

_MAX_DETAIL = 300
# files whose size and mtime enter the fingerprint (the weights); an index's content enters it too
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".msgpack", ".h5")


@dataclass(eq=False)
class _Job:
    request: ProbeRequest
    max_tokens: int
    deadline: float  # time.monotonic()
    future: asyncio.Future[Reply]
    abandoned: threading.Event = field(default_factory=threading.Event)  # the caller gave up: skip or stop
    started: bool = False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _settle(job: _Job, result: Reply | AdapterError) -> None:
    """Hand the result to the waiting caller, unless it has gone (then nobody would read an exception)."""
    if job.abandoned.is_set() or job.future.done():
        return
    if isinstance(result, AdapterError):
        job.future.set_exception(result)
    else:
        job.future.set_result(result)


class HFLocalAdapter:
    def __init__(self, config: HFLocalEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        self._where = f"hf-local endpoint {config.name!r} ({config.model_dir})"
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                               thread_name_prefix=f"hf-local-{config.name}")
        self._model: LocalModel | None = None
        self._load_error: AdapterError | None = None  # the last load's failure, if it failed
        self._closing = threading.Event()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[_Job] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._current: _Job | None = None
        self._load_future: concurrent.futures.Future[None] = self._executor.submit(self._load)

    # ----------------------------------------------------------------------------------- worker thread only

    def _load(self) -> None:
        if self._closing.is_set():
            raise AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed")
        try:
            from monitor.adapters._hf_generate import LocalModel

            self._model = LocalModel(self.config.model_dir, device=self.config.device, dtype=self.config.dtype,
                                     threads=self.config.threads)
            self._load_error = None
        except Exception as exc:
            self._load_error = AdapterError(
                ErrorKind.CLIENT,
                f"{self._where}: cannot load model from {self.config.model_dir}: {type(exc).__name__}: "
                f"{_short(str(exc))}",
            )
            raise self._load_error from None

    def _generate(self, job: _Job) -> Reply:
        model = self._model
        if self._closing.is_set():
            raise AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed")
        if model is None:  # queued while the model was loading, and the load failed
            error = self._load_error
            raise AdapterError(error.kind, error.message) if error is not None else AdapterError(
                ErrorKind.SERVER, f"{self._where}: the model is not loaded")

        def should_stop() -> bool:
            return job.abandoned.is_set() or self._closing.is_set() or time.monotonic() >= job.deadline

        if should_stop():  # its deadline passed while it waited: skip it
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: no reply in time (timed out while waiting "
                                                  "in the queue)")
        image = None
        if job.request.image is not None:
            image = np.ascontiguousarray(job.request.image, dtype=np.uint8)
        job.started = True
        try:
            gen = model.generate(job.request.prompt, image, job.max_tokens, should_stop=should_stop)
        except (ValueError, TypeError, IndexError) as exc:
            raise AdapterError(ErrorKind.CLIENT, f"{self._where}: the model rejected the request: "
                                                 f"{type(exc).__name__}: {self._scrub(str(exc), job)}") from None
        except Exception as exc:
            raise AdapterError(ErrorKind.SERVER, f"{self._where}: generation failed: "
                                                 f"{type(exc).__name__}: {self._scrub(str(exc), job)}") from None
        if gen.stopped:
            if self._closing.is_set():
                raise AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed")
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: no reply in time (timed out while generating)")
        return Reply(text=gen.text, tokens_in=gen.tokens_in, tokens_out=gen.tokens_out)

    def _free(self) -> None:
        model, self._model = self._model, None
        if model is not None:
            model.free()

    @staticmethod
    def _scrub(text: str, job: _Job) -> str:
        if job.request.prompt:
            text = text.replace(job.request.prompt, "<prompt>")
        return _short(text)

    # --------------------------------------------------------------------------------------- event loop side

    async def _wait_loaded(self, *, retry: bool) -> None:
        fut = self._load_future
        if retry and not self._closed and fut.done() and (fut.cancelled() or fut.exception() is not None):
            fut = self._load_future = self._executor.submit(self._load)
        try:
            await asyncio.shield(asyncio.wrap_future(fut))
        except AdapterError as exc:
            raise AdapterError(exc.kind, exc.message) from None  # a fresh error each time: no growing traceback

    def _load_failure(self) -> AdapterError | None:
        fut = self._load_future
        if not fut.done() or fut.cancelled():
            return None
        exc = fut.exception()
        if isinstance(exc, AdapterError):
            return AdapterError(exc.kind, exc.message)
        return None if exc is None else AdapterError(ErrorKind.CLIENT, f"{self._where}: {type(exc).__name__}")

    def _queue_(self) -> asyncio.Queue[_Job]:
        """The request queue and its dispatcher, created in (and bound to) the running event loop."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop or self._dispatcher is None or self._dispatcher.done():
            self._loop = loop
            self._queue = asyncio.Queue(maxsize=self.config.queue_size)
            self._dispatcher = loop.create_task(self._dispatch(self._queue), name=f"hf-local:{self.endpoint}")
        return self._queue

    async def _dispatch(self, queue: asyncio.Queue[_Job]) -> None:
        """Hand queued requests to the worker thread one at a time, in order of submission."""
        loop = asyncio.get_running_loop()
        while True:
            job = await queue.get()
            if job.abandoned.is_set() or job.future.done():
                continue  # timed out or cancelled while waiting: never reaches the model
            self._current = job
            try:
                result: Reply | AdapterError = await loop.run_in_executor(self._executor, self._generate, job)
            except AdapterError as exc:
                result = exc
            except asyncio.CancelledError:  # close(): the generation in progress stops at its next token
                _settle(job, AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed"))
                raise
            except Exception as exc:  # a bug in the worker must not stop the queue
                result = AdapterError(ErrorKind.SERVER, f"{self._where}: worker failed: {type(exc).__name__}")
            finally:
                self._current = None
            _settle(job, result)

    async def identity(self) -> ModelIdentity:
        if self._closed:
            raise AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed")
        await self._wait_loaded(retry=True)
        return await asyncio.to_thread(self._identity)

    def _identity(self) -> ModelIdentity:
        model_dir = self.config.model_dir
        digest = hashlib.sha256()
        try:
            raw = (model_dir / "config.json").read_bytes()
            digest.update(b"config.json\0" + raw)
            for path in sorted(model_dir.iterdir()):
                if path.name.endswith(".index.json"):
                    digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
                elif path.name.endswith(_WEIGHT_SUFFIXES) and path.is_file():
                    st = path.stat()
                    digest.update(f"\0{path.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError as exc:
            raise AdapterError(ErrorKind.CLIENT, f"{self._where}: cannot read the model files: "
                                                 f"{type(exc).__name__}: {_short(str(exc))}") from None
        try:
            cfg = json.loads(raw)
        except ValueError:
            cfg = {}
        name = cfg.get("_name_or_path") if isinstance(cfg, dict) else None
        if not isinstance(name, str) or not name or name.startswith(("/", ".", "~")) or Path(name).is_absolute():
            name = model_dir.resolve().name  # a local path says nothing: the directory's name does
        model = self._model
        extra = {"device": self.config.device}
        if model is not None:
            extra.update(dtype=model.dtype_name, architecture=model.architecture)
        return ModelIdentity(model=name, version="", fingerprint=digest.hexdigest()[:16], extra=extra)

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        if self._closed:
            raise AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed")
        failed = self._load_failure()
        if failed is not None:
            raise failed
        if request.image is not None:
            shape = getattr(request.image, "shape", None)
            if shape is None or len(shape) != 3 or shape[2] != 3 or shape[0] < 1 or shape[1] < 1:
                raise AdapterError(ErrorKind.CLIENT, f"{self._where}: image must have shape (H, W, 3), not {shape}")
        job = _Job(request=request, max_tokens=max(1, min(request.max_tokens, self.config.max_tokens)),
                   deadline=time.monotonic() + timeout_s, future=asyncio.get_running_loop().create_future())
        try:
            self._queue_().put_nowait(job)
        except asyncio.QueueFull:
            raise AdapterError(ErrorKind.RATE_LIMITED, f"{self._where}: queue full ({self.config.queue_size} "
                                                       "requests already waiting for the model)") from None
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), timeout=timeout_s)
        except TimeoutError:
            job.abandoned.set()
            if job.future.done() and not job.future.cancelled():
                job.future.exception()  # mark a result that raced the timeout as retrieved
            where = "while generating" if job.started else "while waiting in the queue"
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: no reply within {timeout_s:g}s "
                                                  f"(timed out {where})") from None
        except asyncio.CancelledError:
            job.abandoned.set()
            raise

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing.set()  # a generation in progress stops at its next token
        pending: list[_Job] = [self._current] if self._current is not None else []
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None and not dispatcher.done():
            dispatcher.cancel()
            if dispatcher.get_loop() is asyncio.get_running_loop():
                await asyncio.gather(dispatcher, return_exceptions=True)
        queue, self._queue = self._queue, None
        while queue is not None and not queue.empty():
            pending.append(queue.get_nowait())
        for job in pending:
            _settle(job, AdapterError(ErrorKind.CANCELLED, f"{self._where}: endpoint closed"))
            job.abandoned.set()
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._executor.submit(self._free)  # after the load and the generation in progress, on the same thread
        self._executor.shutdown(wait=True)


@register_adapter("hf-local")
def create_hf_local_adapter(config: HFLocalEndpoint) -> HFLocalAdapter:
    return HFLocalAdapter(config)
