"""Triton presets (vllm, trtllm, generate, custom), HTTP and TLS, against REAL Triton servers (nvidia-pytriton).

Two servers: ``deploy/demo_model/preset_models.py`` hosts echo models with the vLLM backend's and the TensorRT-LLM
ensemble's tensor names and semantics (their answer is a JSON summary of the request they received, so the tests
assert the exact request), and the session's ``triton_server`` fixture serves the tiny demo LLaVA (python-backend
layout), here over HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from monitor import images
from monitor.adapters import AdapterError, ErrorKind, ProbeRequest, create_adapter
from monitor.adapters.triton import TritonAdapter, classify_status
from monitor.config import TensorSpec, TritonEndpoint, TritonTensors
from probes.catalogue import DATA_DIR
from tests.triton_server import REPO, _ready_line, _stop, _tail, free_ports

MARK = "secret-prompt-marker"
HEADER_VALUE = "header-secret-value-456"


@dataclass(frozen=True)
class PresetServer:
    grpc_url: str
    http_url: str


def _models_ready(url: str, tls: dict[str, str] | None = None) -> bool:
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    kwargs: dict[str, Any] = {}
    if tls is not None:
        kwargs = {"ssl": True, "root_certificates": tls["ca_file"], "private_key": tls["key_file"],
                  "certificate_chain": tls["cert_file"]}  # fmt: skip
    try:
        client = grpcclient.InferenceServerClient(url=url, **kwargs)
        try:
            return all(client.is_model_ready(m, client_timeout=2.0) for m in ("vllm_model", "ensemble"))
        finally:
            client.close()
    except InferenceServerException:
        return False


@contextlib.contextmanager
def running_preset_server(extra: list[str] | None = None, tls: dict[str, str] | None = None,
                          host: str = "127.0.0.1") -> Iterator[PresetServer]:  # fmt: skip
    """deploy/demo_model/preset_models.py on free loopback ports; stopped and cleaned up on exit."""
    if importlib.util.find_spec("pytriton") is None:
        pytest.skip("the preset test server needs nvidia-pytriton (pip install -e '.[demo]')")
    tmp = Path(tempfile.mkdtemp(prefix="tm-presets-"))  # short path: pytriton puts unix sockets in it
    grpc_port, http_port, metrics_port = free_ports(3)
    log = tmp / "server.log"
    cmd = [sys.executable, str(REPO / "deploy" / "demo_model" / "preset_models.py"),
           "--grpc-port", str(grpc_port), "--http-port", str(http_port), "--metrics-port", str(metrics_port),
           "--workspace", str(tmp / "workspace"), *(extra or [])]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    url = f"{host}:{grpc_port}"
    try:
        started = time.monotonic()
        while not (_ready_line(log) is not None and _models_ready(url, tls)):
            if proc.poll() is not None:
                pytest.fail(f"preset_models.py exited with code {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() - started > 120:
                pytest.fail(f"preset_models.py not ready after 120s:\n{_tail(log)}")
            time.sleep(0.2)
        yield PresetServer(grpc_url=url, http_url=f"127.0.0.1:{http_port}")
    finally:
        _stop(proc, timeout_s=30)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def preset_server() -> Iterator[PresetServer]:
    with running_preset_server() as server:
        yield server


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(folder: Path) -> dict[str, str]:
    """A throw-away CA, a server certificate for localhost/127.0.0.1 and a client certificate (EC keys)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=tm-test-ca",
             cwd=folder)  # fmt: skip
    (folder / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    (folder / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for who in ("server", "client"):
        _openssl("req", *ec, "-keyout", f"{who}.key", "-out", f"{who}.csr", "-subj", f"/CN=tm-test-{who}",
                 cwd=folder)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{who}.pem", "-days", "1", "-extfile", f"{who}.ext", cwd=folder)  # fmt: skip
    return {name: str(folder / name) for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PresetServer, dict[str, str]]]:
    """The preset server with mutual TLS on gRPC: server cert signed by a test CA, client certs required."""
    if shutil.which("openssl") is None:
        pytest.skip("the TLS test needs the openssl command")
    files = make_certs(tmp_path_factory.mktemp("certs"))
    client = {"ca_file": files["ca.pem"], "cert_file": files["client.pem"], "key_file": files["client.key"]}
    extra = ["--grpc-tls-cert", files["server.pem"], "--grpc-tls-key", files["server.key"],
             "--grpc-tls-client-ca", files["ca.pem"]]  # fmt: skip
    with running_preset_server(extra, tls=client, host="localhost") as server:
        yield server, client


def endpoint(url: str, **fields: Any) -> TritonEndpoint:
    return TritonEndpoint.model_validate({"kind": "triton", "name": "presets", "url": url, "model": "m",
                                          "timeout": 20, "max_tokens": 64, **fields})  # fmt: skip


@contextlib.asynccontextmanager
async def adapter_for(url: str, **fields: Any) -> AsyncIterator[Any]:
    a = create_adapter(endpoint(url, **fields))
    try:
        yield a
    finally:
        await a.close()


async def ask(url: str, request: ProbeRequest, **fields: Any) -> str:
    async with adapter_for(url, **fields) as a:
        return str((await a.generate(request, timeout_s=20)).text)


async def fails(url: str, request: ProbeRequest, *, timeout_s: float = 20, **fields: Any) -> AdapterError:
    async with adapter_for(url, **fields) as a:
        with pytest.raises(AdapterError) as info:
            await a.generate(request, timeout_s=timeout_s)
    err = info.value
    assert "presets" in err.message  # names the endpoint
    assert MARK not in str(err)  # never the prompt
    return err


def image(height: int = 12, width: int = 20) -> np.ndarray:
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[0, 0] = (200, 100, 50)
    return img


PROMPT = f"one two three four five six {MARK}"

# ------------------------------------------------------------------------------------- config, no server needed


def test_preset_layouts() -> None:
    vllm = endpoint("h:1", preset="vllm")
    assert (vllm.tensors.prompt.name, vllm.tensors.output.name) == ("text_input", "text_output")
    assert vllm.tensors.image == TensorSpec(name="image", datatype="BYTES") and vllm.tensors.max_tokens is None
    assert vllm.is_decoupled and not vllm.has_batch_dim and vllm.protocol == "grpc"
    trt = endpoint("h:1", preset="trtllm")
    assert trt.tensors.max_tokens == TensorSpec(name="max_tokens", datatype="INT32") and trt.tensors.image is None
    assert trt.has_batch_dim and not trt.is_decoupled
    gen = endpoint("h:1", preset="generate")
    assert gen.protocol == "http" and gen.tensors.prompt.name == "text_input"
    default = endpoint("h:1")
    assert default.preset == "python-backend" and default.tensors == TritonTensors()
    # explicit tensors override the preset's, the rest stays
    mm = endpoint("h:1", preset="trtllm", tensors={"image": {"name": "image_bytes_input", "datatype": "UINT8"}})
    assert mm.tensors.image == TensorSpec(name="image_bytes_input", datatype="UINT8")
    assert mm.tensors.prompt.name == "text_input"
    custom = endpoint("h:1", preset="custom", tensors={"prompt": {"name": "Q", "datatype": "BYTES"},
                                                       "max_tokens": None})  # fmt: skip
    assert custom.tensors.prompt.name == "Q" and custom.tensors.max_tokens is None
    assert custom.tensors.output.name == "TEXT"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"preset": "vllm", "protocol": "http"}, "needs protocol 'grpc'"),
        ({"preset": "python-backend", "protocol": "http", "decoupled": True}, "needs protocol 'grpc'"),
        ({"preset": "generate", "protocol": "grpc"}, "use protocol 'http'"),
        ({"preset": "generate", "batch_dim": True}, "batch_dim"),
        ({"preset": "generate", "tensors": {"image": {"name": "IMAGE", "datatype": "UINT8"}}}, "must be BYTES"),
        ({"preset": "custom"}, "needs a 'tensors' mapping"),
        ({"preset": "vllm", "tensors": {"max_tokens": {"name": "n", "datatype": "INT32"}}}, "sampling_parameters"),
        ({"preset": "tgi"}, "Input should be"),
        ({"tensors": {"max_tokens": {"name": "n", "datatype": "FP32"}}}, "INT32 or INT64"),
        ({"prompt_template": "no placeholder"}, "must contain {prompt}"),
        ({"prompt_template": "{prompt} {other}"}, "only the {prompt} placeholder"),
        ({"tls": {"cert_file": __file__}}, "both 'cert_file' and 'key_file'"),
        ({"tls": {"ca_file": "/no/such/ca.pem"}}, "does not exist"),
        ({"protocol": "https"}, "Input should be"),
    ],
)
def test_invalid_combinations(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        endpoint("h:1", **fields)


def test_classify_http_status() -> None:
    assert classify_status("400") is ErrorKind.CLIENT
    assert classify_status("404") is ErrorKind.CLIENT
    assert classify_status("401") is ErrorKind.AUTH
    assert classify_status("429") is ErrorKind.RATE_LIMITED
    assert classify_status("500") is ErrorKind.SERVER
    assert classify_status("503") is ErrorKind.SERVER
    assert classify_status("StatusCode.UNAVAILABLE") is ErrorKind.CONNECTION


def test_wire_tensors_per_preset() -> None:
    req = ProbeRequest("hi", image=image(), max_tokens=500)  # capped by the endpoint's max_tokens (64)
    vllm = TritonAdapter(endpoint("h:1", preset="vllm", prompt_template="USER: <image>\n{prompt} ASSISTANT:"))
    got = {t.name: t for t in vllm.tensors(req)}
    assert list(got) == ["text_input", "image", "stream", "sampling_parameters", "exclude_input_in_output"]
    assert got["text_input"].array.tolist() == [b"USER: <image>\nhi ASSISTANT:"]
    assert got["image"].datatype == "BYTES" and got["image"].array.shape == (1,)
    assert json.loads(got["sampling_parameters"].array[0]) == {"max_tokens": 64, "temperature": 0}
    assert got["stream"].array.tolist() == [False] and got["exclude_input_in_output"].array.tolist() == [True]
    trt = TritonAdapter(endpoint("h:1", preset="trtllm"))
    got = {t.name: t for t in trt.tensors(ProbeRequest("hi", max_tokens=7))}
    assert list(got) == ["text_input", "max_tokens", "bad_words", "stop_words", "exclude_input_in_output"]
    assert all(t.array.shape == (1, 1) for t in got.values())  # the ensemble batches: leading 1
    assert got["max_tokens"].array.dtype == np.int32 and got["max_tokens"].array.tolist() == [[7]]
    assert got["bad_words"].array.tolist() == [[b""]] and got["stop_words"].array.tolist() == [[b""]]
    py = TritonAdapter(endpoint("h:1"))
    got = {t.name: t for t in py.tensors(req)}
    assert list(got) == ["PROMPT", "IMAGE", "MAX_TOKENS"]
    assert got["IMAGE"].array.shape == (12, 20, 3) and got["IMAGE"].array.dtype == np.uint8
    gen = TritonAdapter(endpoint("h:1", preset="generate"))
    body = gen.generate_body(ProbeRequest("hi", max_tokens=5))
    assert body == {"text_input": "hi", "exclude_input_in_output": True,
                    "parameters": {"temperature": 0, "max_tokens": 5}}  # fmt: skip


def suite_image() -> images.SuiteImage:
    return images.load(sorted((DATA_DIR / "unrelated" / "color").glob("*.png"))[0])


def test_a_prepared_suite_image_is_sent_as_its_file_and_built_on_the_loop(tmp_path: Path) -> None:
    shipped = suite_image()
    assert shipped.passthrough
    vllm = TritonAdapter(endpoint("h:1", preset="vllm"))
    got = {t.name: t for t in vllm.tensors(ProbeRequest("hi", image=shipped))}
    assert got["image"].array.tolist() == [base64.b64encode(shipped.path.read_bytes())]  # the file's own bytes
    # built inline: no image, a prepared PNG sent as base64 (BYTES tensor, generate's JSON), an image refused
    assert vllm._ready(ProbeRequest("hi")) and vllm._ready(ProbeRequest("hi", image=shipped))
    assert TritonAdapter(endpoint("h:1", preset="generate"))._ready(ProbeRequest("hi", image=shipped))
    assert TritonAdapter(endpoint("h:1", preset="trtllm"))._ready(ProbeRequest("hi", image=shipped))  # refused
    bytes_py = TritonAdapter(endpoint("h:1", tensors={"image": {"name": "IMAGE", "datatype": "BYTES"}}))
    assert bytes_py._ready(ProbeRequest("hi", image=shipped))
    # in a thread: pixels (decoded, maybe converted), or a PNG to encode
    assert not TritonAdapter(endpoint("h:1"))._ready(ProbeRequest("hi", image=shipped))  # UINT8 (H, W, 3)
    assert not vllm._ready(ProbeRequest("hi", image=image()))
    Image.new("L", (8, 8)).save(tmp_path / "grey.png")
    grey = images.load(tmp_path / "grey.png")
    assert not grey.passthrough and not vllm._ready(ProbeRequest("hi", image=grey))
    assert base64.b64decode(vllm.tensors(ProbeRequest("hi", image=grey))[1].array[0]).startswith(images.PNG_MAGIC)


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the adapter hands to a worker thread (asyncio.to_thread), recorded."""
    calls: list[str] = []
    to_thread = asyncio.to_thread

    async def recording(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(func, "__name__", repr(func)))
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr("monitor.adapters.triton.asyncio.to_thread", recording)
    return calls


# ------------------------------------------------------------------------------ vLLM backend layout (gRPC stream)


@pytest.mark.triton
async def test_vllm_request_is_exact(preset_server: PresetServer) -> None:
    text = await ask(preset_server.grpc_url, ProbeRequest(PROMPT, max_tokens=3), preset="vllm", model="vllm_model")
    got = json.loads(text)  # exclude_input_in_output=true: the answer does not repeat the prompt
    assert got["sampling"] == {"max_tokens": 3, "temperature": 0}
    assert got["sampling_source"] == "sampling_parameters"
    assert (got["stream"], got["exclude_input_in_output"]) == (False, True)
    assert got["inputs"] == ["exclude_input_in_output", "sampling_parameters", "stream", "text_input"]
    assert got["prompt"] == PROMPT and got["echo"] == "one two three"


@pytest.mark.triton
async def test_vllm_image_is_base64_png(preset_server: PresetServer) -> None:
    text = await ask(preset_server.grpc_url, ProbeRequest("describe", image=image()), preset="vllm",
                     model="vllm_model", prompt_template="USER: <image>\n{prompt} ASSISTANT:")  # fmt: skip
    got = json.loads(text)
    assert got["images"] == [{"format": "PNG", "width": 20, "height": 12, "pixel00": [200, 100, 50]}]
    assert got["prompt"] == "USER: <image>\ndescribe ASSISTANT:"


@pytest.mark.triton
async def test_vllm_prepared_image_goes_out_without_a_thread(preset_server: PresetServer,
                                                             hand_offs: list[str]) -> None:  # fmt: skip
    shipped = suite_image()
    with Image.open(shipped.path) as img:
        expected = {"format": "PNG", "width": img.width, "height": img.height,
                    "pixel00": list(img.convert("RGB").getpixel((0, 0)))}  # fmt: skip
    got = json.loads(await ask(preset_server.grpc_url, ProbeRequest("describe", image=shipped), preset="vllm",
                               model="vllm_model"))  # fmt: skip
    assert got["images"] == [expected] and hand_offs == []
    got = json.loads(await ask(preset_server.grpc_url, ProbeRequest("describe", image=image()), preset="vllm",
                               model="vllm_model"))  # fmt: skip
    assert got["images"][0]["pixel00"] == [200, 100, 50] and hand_offs == ["tensors"]  # a PNG to encode
    got = json.loads(await ask(preset_server.http_url, ProbeRequest("describe", image=shipped), preset="generate",
                               model="vllm_model"))  # fmt: skip
    assert got["images"] == [expected] and hand_offs == ["tensors"]


@pytest.mark.triton
async def test_vllm_errors_classify(preset_server: PresetServer) -> None:
    url = preset_server.grpc_url
    err = await fails(url, ProbeRequest(f"!fail {MARK}"), preset="vllm", model="vllm_model")
    assert err.kind is ErrorKind.SERVER and err.retryable
    err = await fails(url, ProbeRequest(PROMPT), preset="vllm", model="no_such_model")
    assert err.kind is ErrorKind.CLIENT
    # a decoupled model called with unary ModelInfer: Triton answers UNIMPLEMENTED
    err = await fails(url, ProbeRequest(PROMPT), preset="vllm", model="vllm_model", decoupled=False)
    assert err.kind is ErrorKind.CLIENT and "UNIMPLEMENTED" in err.message
    err = await fails(url, ProbeRequest(PROMPT), preset="vllm", model="vllm_model", timeout_s=0.001)
    assert err.kind is ErrorKind.TIMEOUT


# ------------------------------------------------------------------------------------ TensorRT-LLM ensemble layout


@pytest.mark.triton
@pytest.mark.parametrize("protocol", ["grpc", "http"])
async def test_trtllm_request_is_exact(preset_server: PresetServer, protocol: str) -> None:
    url = preset_server.grpc_url if protocol == "grpc" else preset_server.http_url
    text = await ask(url, ProbeRequest(PROMPT, max_tokens=4), preset="trtllm", model="ensemble", protocol=protocol)
    got = json.loads(text)
    assert got["max_tokens"] == 4 and got["echo"] == "one two three four"
    assert (got["bad_words"], got["stop_words"], got["exclude_input_in_output"]) == ("", "", True)
    # one batch row each: the client sent [1, 1]
    assert got["shapes"] == {n: [1] for n in ("bad_words", "exclude_input_in_output", "max_tokens", "stop_words",
                                               "text_input")}  # fmt: skip


@pytest.mark.triton
async def test_trtllm_errors_classify(preset_server: PresetServer) -> None:
    url = preset_server.grpc_url
    err = await fails(url, ProbeRequest(PROMPT, image=image()), preset="trtllm", model="ensemble")
    assert err.kind is ErrorKind.CLIENT and "text only" in err.message
    err = await fails(url, ProbeRequest(f"!fail {MARK}"), preset="trtllm", model="ensemble")
    assert err.kind is ErrorKind.SERVER and "INTERNAL" in err.message
    err = await fails(url, ProbeRequest(PROMPT), preset="trtllm", model="ensemble", batch_dim=False)
    assert err.kind is ErrorKind.CLIENT and "INVALID_ARGUMENT" in err.message  # wrong shape
    err = await fails(preset_server.http_url, ProbeRequest(PROMPT), preset="trtllm", model="ensemble",
                      protocol="http", tensors={"max_tokens": {"name": "max_tokens", "datatype": "INT64"}})
    assert err.kind is ErrorKind.CLIENT and "HTTP 400" in err.message  # wrong datatype


# --------------------------------------------------------------------------------------- the generate extension


@pytest.mark.triton
async def test_generate_vllm(preset_server: PresetServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TM_TEST_TRITON_HEADER", HEADER_VALUE)
    fields: dict[str, Any] = {"preset": "generate", "model": "vllm_model",
                              "headers": {"X-Api-Key": {"env": "TM_TEST_TRITON_HEADER"}}}  # fmt: skip
    text = await ask(preset_server.http_url, ProbeRequest(PROMPT, image=image(), max_tokens=2), **fields)
    got = json.loads(text)  # the parameters reach the vLLM backend as request parameters
    assert got["sampling"] == {"max_tokens": 2, "temperature": 0}
    assert got["sampling_source"] == "request_parameters"
    assert got["exclude_input_in_output"] is True and got["echo"] == "one two"
    assert got["images"][0]["format"] == "PNG"
    async with adapter_for(preset_server.http_url, **fields) as a:
        ident = await a.identity()
    assert (ident.model, ident.version, len(ident.fingerprint)) == ("vllm_model", "1", 16)
    err = await fails(preset_server.http_url, ProbeRequest(f"!fail {MARK}"), **fields)
    assert err.kind is ErrorKind.CLIENT and "HTTP 400" in err.message  # Triton's generate answers 400 for these
    assert HEADER_VALUE not in str(err)
    err = await fails(preset_server.http_url, ProbeRequest(PROMPT), **{**fields, "model": "no_such_model"})
    assert err.kind is ErrorKind.CLIENT


@pytest.mark.triton
async def test_generate_trtllm_with_max_tokens_input(preset_server: PresetServer) -> None:
    text = await ask(preset_server.http_url, ProbeRequest(PROMPT, max_tokens=3), preset="generate",
                     model="ensemble", model_version="1",
                     tensors={"max_tokens": {"name": "max_tokens", "datatype": "INT32"}})  # fmt: skip
    got = json.loads(text)
    assert got["max_tokens"] == 3 and got["exclude_input_in_output"] is True
    assert got["parameters"] == {"temperature": 0}


@pytest.mark.triton
async def test_generate_reply_without_output_is_malformed(preset_server: PresetServer) -> None:
    err = await fails(preset_server.http_url, ProbeRequest(PROMPT), preset="generate", model="vllm_model",
                      tensors={"output": {"name": "answer", "datatype": "BYTES"}})  # fmt: skip
    assert err.kind is ErrorKind.MALFORMED and "answer" in err.message


# ----------------------------------------------------------------------------------------- connection and TLS


async def test_closed_ports_are_connection_errors() -> None:
    (port,) = free_ports(1)
    url = f"127.0.0.1:{port}"
    for fields in ({"preset": "generate"}, {"protocol": "http"}, {"preset": "vllm"}):
        err = await fails(url, ProbeRequest(PROMPT), timeout_s=10, **fields)
        assert err.kind is ErrorKind.CONNECTION and err.retryable, fields
    async with adapter_for(url, protocol="http") as a:
        with pytest.raises(AdapterError) as info:
            await a.identity()
    assert info.value.kind is ErrorKind.CONNECTION


@pytest.mark.triton
async def test_tls_to_a_plaintext_server_is_connection_error(preset_server: PresetServer) -> None:
    err = await fails(preset_server.http_url, ProbeRequest(PROMPT), preset="generate", model="vllm_model", tls={})
    assert err.kind is ErrorKind.CONNECTION
    err = await fails(preset_server.grpc_url, ProbeRequest(PROMPT), preset="trtllm", model="ensemble", tls={},
                      timeout_s=5)  # fmt: skip
    assert err.kind in (ErrorKind.CONNECTION, ErrorKind.TIMEOUT)


@pytest.mark.triton
async def test_mutual_tls(tls_server: tuple[PresetServer, dict[str, str]]) -> None:
    server, client = tls_server
    text = await ask(server.grpc_url, ProbeRequest(PROMPT, max_tokens=2), preset="trtllm", model="ensemble",
                     tls=client)  # fmt: skip
    assert json.loads(text)["echo"] == "one two"
    text = await ask(server.grpc_url, ProbeRequest(PROMPT, max_tokens=2), preset="vllm", model="vllm_model",
                     tls=client)  # fmt: skip
    assert json.loads(text)["sampling"]["max_tokens"] == 2
    async with adapter_for(server.grpc_url, preset="trtllm", model="ensemble", tls=client) as a:
        assert (await a.identity()).model == "ensemble"
    # without a client certificate, or trusting another CA, or in plaintext: no connection
    for tls in ({"ca_file": client["ca_file"]}, {}, None):
        err = await fails(server.grpc_url, ProbeRequest(PROMPT), preset="trtllm", model="ensemble", tls=tls,
                          timeout_s=5)  # fmt: skip
        assert err.kind in (ErrorKind.CONNECTION, ErrorKind.TIMEOUT), tls


# ----------------------------------------------------------------------- the demo python-backend model over HTTP


@pytest.mark.triton
async def test_python_backend_over_http(triton_server: Any) -> None:
    fields = {"protocol": "http", "model": triton_server.model_name}
    async with adapter_for(triton_server.http_url, **fields) as a:
        reply = await a.generate(ProbeRequest("What is shown?", image=image(32, 32), max_tokens=8), timeout_s=30)
        again = await a.generate(ProbeRequest("What is shown?", image=image(32, 32), max_tokens=8), timeout_s=30)
        ident = await a.identity()
    assert reply.text.strip() and again.text == reply.text  # greedy: deterministic
    assert (ident.model, ident.version) == (triton_server.model_name, triton_server.model_version)
    assert ident.extra["platform"] == "python" and len(ident.fingerprint) == 16
    async with adapter_for(triton_server.grpc_url, model=triton_server.model_name) as a:
        over_grpc = await a.generate(ProbeRequest("What is shown?", image=image(32, 32), max_tokens=8), timeout_s=30)
    assert over_grpc.text == reply.text  # same model, same answer, either protocol


@pytest.mark.triton
async def test_python_backend_http_errors(triton_server: Any) -> None:
    url, model = triton_server.http_url, triton_server.model_name
    err = await fails(url, ProbeRequest(PROMPT), protocol="http", model=model, preset="custom",
                      tensors={"prompt": {"name": "QUESTION", "datatype": "BYTES"}})  # fmt: skip
    assert err.kind is ErrorKind.CLIENT and "HTTP 400" in err.message
    err = await fails(url, ProbeRequest(PROMPT, image=image(64, 64), max_tokens=64), protocol="http", model=model,
                      timeout_s=0.001)  # fmt: skip
    assert err.kind is ErrorKind.TIMEOUT and err.retryable
    err = await fails(url, ProbeRequest(PROMPT), protocol="http", model=model,
                      tensors={"output": {"name": "ANSWER", "datatype": "BYTES"}})  # fmt: skip
    assert err.kind is ErrorKind.MALFORMED and "ANSWER" in err.message
    async with adapter_for(url, protocol="http", model="no_such_model") as a:
        with pytest.raises(AdapterError) as info:
            await a.identity()
    assert info.value.kind is ErrorKind.CLIENT
