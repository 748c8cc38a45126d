"""The hf-local adapter with the real tiny demo LLaVA (random weights, built offline in seconds and cached)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch", reason="the hf-local adapter needs torch (pip install -e '.[demo]')")
pytest.importorskip("transformers", reason="the hf-local adapter needs transformers (pip install -e '.[demo]')")

from monitor.adapters import AdapterError, ErrorKind, ProbeRequest, create_adapter
from monitor.adapters._hf_generate import Generation, LocalModel
from monitor.adapters.hf_local import HFLocalAdapter
from monitor.config import Config, HFLocalEndpoint
from monitor.service import Service
from tests.integration.test_service import free_port
from tests.triton_server import DEFAULT_MODEL_DIR, DEMO, REPO


@pytest.fixture(scope="module")
def demo_model() -> Path:
    """The tiny LLaVA in the shared test cache; built in-process when missing or from an older recipe."""
    spec = importlib.util.spec_from_file_location("tm_demo_build_model", DEMO / "build_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(DEFAULT_MODEL_DIR)
    return DEFAULT_MODEL_DIR


def _endpoint(model_dir: Path, **kw: Any) -> HFLocalEndpoint:
    return HFLocalEndpoint.model_validate({"name": "hf", "kind": "hf-local", "model_dir": str(model_dir),
                                           "threads": 1, "max_tokens": 8, **kw})


@pytest.fixture
async def make_adapter(demo_model: Path) -> AsyncIterator[Callable[..., HFLocalAdapter]]:
    made: list[HFLocalAdapter] = []

    def make(model_dir: Path | None = None, **kw: Any) -> HFLocalAdapter:
        adapter = create_adapter(_endpoint(model_dir or demo_model, **kw))
        assert isinstance(adapter, HFLocalAdapter)
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        await adapter.close()


class Spy:
    """Wraps the loaded model's generate: counts calls in flight, records order and threads; can hold the worker."""

    def __init__(self, adapter: HFLocalAdapter, *, hold: bool = False) -> None:
        assert adapter._model is not None, "load the model first (await adapter.identity())"
        self.real = adapter._model.generate
        self.active = 0
        self.max_active = 0
        self.prompts: list[str] = []
        self.threads: set[int] = set()
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self._lock = threading.Lock()
        adapter._model.generate = self  # type: ignore[method-assign]

    def __call__(self, prompt: str, image: Any, max_new_tokens: int, should_stop: Any = None) -> Generation:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.prompts.append(prompt)
            self.threads.add(threading.get_ident())
        self.entered.set()
        try:
            assert self.release.wait(10)
            time.sleep(0.002)  # widen the window in which a second generation would overlap
            return self.real(prompt, image, max_new_tokens, should_stop)
        finally:
            with self._lock:
                self.active -= 1


async def _entered(spy: Spy) -> None:
    assert await asyncio.to_thread(spy.entered.wait, 10)


# --------------------------------------------------------------------------------------------------- identity


async def test_identity_names_the_model_and_fingerprints_its_files(
    make_adapter: Callable[..., HFLocalAdapter], demo_model: Path, tmp_path: Path
) -> None:
    ident = await make_adapter().identity()
    assert ident.model == demo_model.name and ident.version == ""
    assert len(ident.fingerprint) == 16 and int(ident.fingerprint, 16) >= 0
    assert ident.extra == {"device": "cpu", "dtype": "float32", "architecture": "LlavaForConditionalGeneration"}

    copy = tmp_path / "my-llava"
    shutil.copytree(demo_model, copy)
    adapter = make_adapter(copy)
    first = await adapter.identity()
    assert first.model == "my-llava" and first == await adapter.identity()  # stable while nothing changes
    weights = copy / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert (await adapter.identity()).fingerprint != first.fingerprint  # new weights file: new fingerprint

    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "_name_or_path": "llava-hf/llava-1.5-7b-hf"}))
    renamed = await adapter.identity()
    assert renamed.model == "llava-hf/llava-1.5-7b-hf" and renamed.fingerprint != first.fingerprint


# --------------------------------------------------------------------------------------------------- generate


async def test_generate_with_an_image_and_text_only(make_adapter: Callable[..., HFLocalAdapter]) -> None:
    adapter = make_adapter()
    await adapter.identity()
    spy = Spy(adapter)
    image = np.zeros((48, 80, 3), dtype=np.uint8)
    image[:, :40, 0] = 255
    with_image = await adapter.generate(ProbeRequest("What is shown here?", image=image, max_tokens=64), timeout_s=30)
    text_only = await adapter.generate(ProbeRequest("What is shown here?", max_tokens=5), timeout_s=30)
    again = await adapter.generate(ProbeRequest("What is shown here?", image=image, max_tokens=64), timeout_s=30)

    assert isinstance(with_image.text, str) and with_image.text.strip()
    assert with_image == again  # greedy decoding: the same answer every time
    assert with_image.tokens_out is not None and 1 <= with_image.tokens_out <= 8  # capped by the config's max_tokens
    assert text_only.tokens_out is not None and 1 <= text_only.tokens_out <= 5
    # the same prompt plus "<image>\n": the image expands to the model's 16 image tokens (+ the newline)
    assert with_image.tokens_in is not None and text_only.tokens_in is not None
    assert with_image.tokens_in >= text_only.tokens_in + 16
    assert spy.prompts == ["What is shown here?"] * 3


async def test_bad_image_shape_is_a_client_error(make_adapter: Callable[..., HFLocalAdapter]) -> None:
    adapter = make_adapter()
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("q", image=np.zeros((8, 8), dtype=np.uint8)), timeout_s=5)
    assert info.value.kind is ErrorKind.CLIENT and "'hf'" in info.value.message



@pytest.mark.parametrize(("exc", "kind"), [(ValueError, ErrorKind.CLIENT), (RuntimeError, ErrorKind.SERVER)])
async def test_generation_failures_are_classified_without_the_prompt(
    make_adapter: Callable[..., HFLocalAdapter], exc: type[Exception], kind: ErrorKind
) -> None:
    adapter = make_adapter()
    await adapter.identity()

    def failing(prompt: str, *args: Any, **kw: Any) -> Generation:
        raise exc(f"cannot handle {prompt!r}")

    assert adapter._model is not None
    adapter._model.generate = failing  # type: ignore[method-assign]
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("my secret question"), timeout_s=30)
    assert info.value.kind is kind and "'hf'" in info.value.message and exc.__name__ in info.value.message
    assert "my secret question" not in info.value.message


async def test_concurrent_requests_run_one_at_a_time_in_order(make_adapter: Callable[..., HFLocalAdapter]) -> None:
    adapter = make_adapter(queue_size=64)
    await adapter.identity()
    spy = Spy(adapter)
    image = np.full((32, 32, 3), 128, dtype=np.uint8)
    requests = [ProbeRequest(f"question {i}", image=image if i % 2 else None, max_tokens=4) for i in range(24)]
    replies = await asyncio.gather(*(adapter.generate(r, timeout_s=30) for r in requests))
    assert len(replies) == 24 and all(r.tokens_out for r in replies)
    assert spy.prompts == [r.prompt for r in requests]  # in order of submission
    assert spy.max_active == 1  # never two generations at once
    assert len(spy.threads) == 1 and threading.get_ident() not in spy.threads  # one worker, not the event loop


async def test_full_queue_is_rate_limited_at_once(make_adapter: Callable[..., HFLocalAdapter]) -> None:
    adapter = make_adapter(queue_size=2)
    await adapter.identity()
    spy = Spy(adapter, hold=True)
    running = asyncio.create_task(adapter.generate(ProbeRequest("running"), timeout_s=30))
    await _entered(spy)  # the worker holds "running"; the queue is empty
    waiting = [asyncio.create_task(adapter.generate(ProbeRequest(f"waiting {i}"), timeout_s=30)) for i in range(2)]
    await asyncio.sleep(0)
    t0 = time.monotonic()
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("one too many"), timeout_s=30)
    assert time.monotonic() - t0 < 0.5
    assert info.value.kind is ErrorKind.RATE_LIMITED and info.value.retryable
    assert "'hf'" in info.value.message and "queue full" in info.value.message
    spy.release.set()
    replies = await asyncio.gather(running, *waiting)
    assert all(r.tokens_out for r in replies)
    assert spy.prompts == ["running", "waiting 0", "waiting 1"]


async def test_timeout_in_the_queue_skips_the_request(make_adapter: Callable[..., HFLocalAdapter]) -> None:
    adapter = make_adapter()
    await adapter.identity()
    spy = Spy(adapter, hold=True)
    running = asyncio.create_task(adapter.generate(ProbeRequest("running"), timeout_s=30))
    await _entered(spy)
    t0 = time.monotonic()
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("impatient"), timeout_s=0.2)
    assert 0.15 < time.monotonic() - t0 < 2
    assert info.value.kind is ErrorKind.TIMEOUT and "'hf'" in info.value.message
    assert "waiting in the queue" in info.value.message
    spy.release.set()
    await running
    after = await adapter.generate(ProbeRequest("after"), timeout_s=30)
    assert after.tokens_out
    assert spy.prompts == ["running", "after"]  # "impatient" never reached the model


async def test_timeout_while_generating_stops_the_generation(make_adapter: Callable[..., HFLocalAdapter]) -> None:
    adapter = make_adapter()
    await adapter.identity()
    stopped = threading.Event()

    def slow(prompt: str, image: Any, max_new_tokens: int, should_stop: Any = None) -> Generation:
        while not should_stop():  # a generation that only ends when told to
            time.sleep(0.01)
        stopped.set()
        return Generation("partial", 1, 1, stopped=True)

    assert adapter._model is not None
    adapter._model.generate = slow  # type: ignore[method-assign]
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("slow"), timeout_s=0.2)
    assert info.value.kind is ErrorKind.TIMEOUT and "while generating" in info.value.message
    assert await asyncio.to_thread(stopped.wait, 5)


def test_stop_callback_ends_real_generation_early(demo_model: Path) -> None:
    model = LocalModel(demo_model, threads=1)
    calls = [0]

    def stop_after_three() -> bool:
        calls[0] += 1
        return calls[0] >= 3

    cut = model.generate("Tell me a long story", None, 64, should_stop=stop_after_three)
    assert cut.stopped and cut.tokens_out == 3
    full = model.generate("Tell me a long story", None, 6)
    assert not full.stopped and full.tokens_out == 6
    model.free()


# ----------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("contents", [{}, {"config.json": "{not json"}, {"config.json": '{"model_type": "llava"}'}])
async def test_a_model_dir_that_does_not_load_is_a_client_error(
    make_adapter: Callable[..., HFLocalAdapter], tmp_path: Path, contents: dict[str, str]
) -> None:
    for name, text in contents.items():
        (tmp_path / name).write_text(text)
    adapter = make_adapter(tmp_path, name="hf-bad")
    # the first request may find the load still running (it waits in the queue) or already failed
    for call in (adapter.generate(ProbeRequest("q"), timeout_s=30), adapter.identity(),
                 adapter.generate(ProbeRequest("q"), timeout_s=5), adapter.identity()):
        with pytest.raises(AdapterError) as info:
            await call
        assert info.value.kind is ErrorKind.CLIENT and not info.value.retryable
        assert "'hf-bad'" in info.value.message and f"cannot load model from {tmp_path}" in info.value.message
        assert "'q'" not in info.value.message


async def test_a_failed_load_is_tried_again_at_the_next_identity(
    make_adapter: Callable[..., HFLocalAdapter], demo_model: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "late-model"
    model_dir.mkdir()
    adapter = make_adapter(model_dir)
    with pytest.raises(AdapterError):
        await adapter.identity()
    shutil.copytree(demo_model, model_dir, dirs_exist_ok=True)  # the weights arrive
    assert (await adapter.identity()).model == "late-model"
    assert (await adapter.generate(ProbeRequest("hello"), timeout_s=30)).tokens_out


async def test_close_cancels_waiting_requests_and_frees_the_model(
    make_adapter: Callable[..., HFLocalAdapter],
) -> None:
    adapter = make_adapter()
    await adapter.identity()
    spy = Spy(adapter, hold=True)
    running = asyncio.create_task(adapter.generate(ProbeRequest("running"), timeout_s=30))
    await _entered(spy)
    waiting = asyncio.create_task(adapter.generate(ProbeRequest("waiting"), timeout_s=30))
    await asyncio.sleep(0)
    spy.release.set()  # lets "running" finish, but close() comes first for "waiting"
    await adapter.close()
    for task in (running, waiting):
        with pytest.raises(AdapterError) as info:
            await task
        assert info.value.kind is ErrorKind.CANCELLED
    assert spy.prompts == ["running"] and adapter._model is None
    with pytest.raises(AdapterError) as info:
        await adapter.generate(ProbeRequest("late"), timeout_s=5)
    assert info.value.kind is ErrorKind.CANCELLED and "'hf'" in info.value.message


def test_torch_is_not_imported_until_an_endpoint_is_created(demo_model: Path) -> None:
    code = (
        "import sys\n"
        "from monitor.adapters import create_adapter\n"
        "import monitor.adapters.hf_local\n"
        "from monitor.config import HFLocalEndpoint\n"
        f"HFLocalEndpoint(name='hf', kind='hf-local', model_dir={str(demo_model)!r})\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


# ------------------------------------------------------------------------------------------------ with runner


async def test_two_tasks_run_through_the_service(demo_model: Path, tmp_path: Path) -> None:
    cfg = Config.model_validate({
        "store": {"url": f"sqlite:///{tmp_path}/hf.db"},
        "server": {"grpc_listen": f"127.0.0.1:{free_port()}", "http_listen": f"127.0.0.1:{free_port()}"},
        "suite": {"max_samples_per_task": 2, "min_scored_samples": 1},
        "endpoints": [{"name": "hf", "kind": "hf-local", "model_dir": str(demo_model), "threads": 1,
                       "max_tokens": 8, "concurrency": 8, "queue_size": 8, "tasks": ["T.1", "T.4"],
                       "retries": {"backoff_initial": "10ms"}}],
    })
    service = Service(cfg)
    await service.start()
    try:
        record = service.runs.start("hf", None, "api")
        await service.runs.wait(record.id)
        run = service.store.get_run(record.id)
        results = service.store.results(record.id)
        scores = {s.task: s for s in service.store.task_scores(record.id)}
    finally:
        await service.stop()
    assert run is not None and run.status.value == "succeeded" and run.error_items == 0
    assert run.model == "demo-model" and run.model_fingerprint
    assert set(scores) == {"T.1", "T.4"}
    assert run.total_items == len(results) == 2 + 5 * 2  # T.1: one variant with images; T.4: five, text only
    assert all(r.answer is not None and r.error_kind is None for r in results)
    assert all(r.tokens_in and r.tokens_out and r.tokens_out <= 8 for r in results)
    assert all(s.n_errors == 0 and s.n_scored + s.n_unscorable == (2 if t == "T.1" else 10) for t, s in scores.items())
