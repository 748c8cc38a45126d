"""Adapter for models served by NVIDIA Triton Inference Server, over gRPC or HTTP, in one of several layouts.

The endpoint's ``preset`` says how a probe request becomes a Triton request:

``python-backend`` (the default, the demo server's layout)
    ``PROMPT`` BYTES [1], optional ``IMAGE`` UINT8 (H, W, 3), ``MAX_TOKENS`` INT32 [1]; output ``TEXT`` BYTES.
``vllm`` (Triton's vLLM backend, a decoupled model: gRPC streaming)
    ``text_input`` BYTES [1], ``stream`` BOOL [false], ``sampling_parameters`` BYTES [JSON
    ``{"max_tokens": n, "temperature": 0}``], ``exclude_input_in_output`` BOOL [true], optional ``image`` BYTES [1]
    holding one base64-encoded PNG (the backend decodes it into ``multi_modal_data``); output ``text_output``.
``trtllm`` (the TensorRT-LLM backend's ``ensemble`` model, max_batch_size > 0: every tensor gets a leading 1)
    ``text_input`` BYTES [1, 1], ``max_tokens`` INT32 [1, 1], ``bad_words`` and ``stop_words`` BYTES [1, 1] empty,
    ``exclude_input_in_output`` BOOL [1, 1] true; output ``text_output``. Text only unless ``tensors.image`` names
    the multimodal ensemble's image input.
``generate`` (Triton's HTTP generate extension)
    ``POST /v2/models/{model}[/versions/{v}]/generate`` with ``{"text_input": ..., "parameters": {"max_tokens": n,
    "temperature": 0}}``; the reply's ``text_output`` is the answer.
``custom``
    The ``tensors`` mapping alone, sent like python-backend.

Every failure becomes an :class:`AdapterError` whose kind follows the gRPC status code or the HTTP status. Messages
name the endpoint and the status, never header values or the prompt.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
import grpc
import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

from monitor.adapters import register_adapter
from monitor.adapters._fallback import described
from monitor.adapters._http import classify_http
from monitor.adapters.base import AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply
from monitor.adapters.scrub import scrub
from monitor.images import SuiteImage

if TYPE_CHECKING:
    from monitor.config import TritonEndpoint

# gRPC status code name -> error kind. Codes not listed are SERVER errors.
_STATUS_KINDS: dict[str, ErrorKind] = {
    "DEADLINE_EXCEEDED": ErrorKind.TIMEOUT,
    "UNAVAILABLE": ErrorKind.CONNECTION,
    "INTERNAL": ErrorKind.SERVER,
    "UNKNOWN": ErrorKind.SERVER,
    "DATA_LOSS": ErrorKind.SERVER,
    "ABORTED": ErrorKind.SERVER,
    "RESOURCE_EXHAUSTED": ErrorKind.RATE_LIMITED,
    "INVALID_ARGUMENT": ErrorKind.CLIENT,
    "NOT_FOUND": ErrorKind.CLIENT,
    "FAILED_PRECONDITION": ErrorKind.CLIENT,
    "OUT_OF_RANGE": ErrorKind.CLIENT,
    "UNIMPLEMENTED": ErrorKind.CLIENT,
    "ALREADY_EXISTS": ErrorKind.CLIENT,
    "UNAUTHENTICATED": ErrorKind.AUTH,
    "PERMISSION_DENIED": ErrorKind.AUTH,
    "CANCELLED": ErrorKind.CANCELLED,
}

# Errors inside a gRPC stream carry only a message, no status: Triton's request-validation messages are ours
# (CLIENT), anything else is the server's.
_STREAM_CLIENT_ERROR = re.compile(
    r"unexpected (inference input|shape|datatype)|expected \d+ inputs|unable to find .* input|"
    r"inference input .*(data-?type|shape)|unknown model|is not found|invalid argument",
    re.IGNORECASE,
)

# Model-config parameters that change on every server start without the model changing (pytriton's workspace);
# they are left out of the fingerprint.
_VOLATILE_PARAMETERS = frozenset({"workspace-path"})

_MAX_DETAIL = 300
# Triton's answer (UNAVAILABLE / 403) to a call of a protocol group restricted to a header it did not get
_RESTRICTED = "protocol is restricted"


def classify_status(status: str | None) -> ErrorKind:
    """Map tritonclient's status string to an error kind: a gRPC code (``'StatusCode.UNAVAILABLE'``) or, from the
    HTTP client, the HTTP status (``'400'``).

    A missing status means tritonclient refused the request before sending it: a CLIENT error.
    """
    if not status:
        return ErrorKind.CLIENT
    if status.isdigit():
        return classify_http(int(status))
    return _STATUS_KINDS.get(status.rsplit(".", 1)[-1], ErrorKind.SERVER)


def _fingerprint(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _stable_config(config: dict[str, Any]) -> dict[str, Any]:
    inner = dict(config.get("config", config))
    params = inner.get("parameters")
    if isinstance(params, dict):
        inner["parameters"] = {k: v for k, v in params.items() if k not in _VOLATILE_PARAMETERS}
    return inner


def png_base64(image: object) -> str:
    """RGB (H, W, 3) array -> base64 of its PNG encoding (what the vLLM backend's ``image`` input expects)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), "RGB").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass(frozen=True)
class WireTensor:
    """One input tensor, independent of the client library that sends it."""

    name: str
    datatype: str
    array: np.ndarray


def _bytes_array(*values: str) -> np.ndarray:
    return np.array([v.encode("utf-8") for v in values], dtype=np.object_)


class TritonAdapter:
    """One Triton model endpoint; one client (gRPC channel or HTTP session) is shared by all requests."""

    def __init__(self, config: TritonEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        tensors = config.tensors  # prompt and output are BYTES: the config validates that
        self._image_dtype = (
            np.dtype(triton_to_np_dtype(tensors.image.datatype))
            if tensors.image is not None and tensors.image.datatype != "BYTES"
            else None
        )
        self._max_tokens_dtype = (
            np.dtype(triton_to_np_dtype(tensors.max_tokens.datatype)) if tensors.max_tokens is not None else None
        )
        self._client: Any | None = None  # tritonclient gRPC or HTTP client
        self._session: aiohttp.ClientSession | None = None  # the generate extension
        scheme = "https" if config.tls is not None else "http"
        self._base = f"{scheme}://{config.url}"
        self._where = f"triton endpoint {config.name!r} ({config.url}, model {config.model!r})"

    # ------------------------------------------------------------------------------------------------- plumbing

    @property
    def _http(self) -> bool:
        return self.config.protocol == "http"

    def _ssl_context(self) -> ssl.SSLContext:
        tls = self.config.tls
        assert tls is not None
        try:
            ctx = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
            if tls.cert_file is not None and tls.key_file is not None:
                ctx.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        except (OSError, ssl.SSLError) as exc:
            raise AdapterError(ErrorKind.CLIENT, f"{self._where}: TLS files unusable ({type(exc).__name__})") from None
        return ctx

    def _get_client(self) -> Any:
        # created on first use, inside the running event loop the channel/session will belong to
        if self._client is None:
            tls = self.config.tls
            if self._http:
                kwargs: dict[str, Any] = {"conn_timeout": 24 * 3600.0}  # per-call timeouts are ours
                if tls is not None:
                    kwargs.update(ssl=True, ssl_context=self._ssl_context())
                self._client = httpaio.InferenceServerClient(url=self.config.url, **kwargs)
            elif tls is not None:
                try:
                    self._client = grpcaio.InferenceServerClient(
                        url=self.config.url,
                        ssl=True,
                        root_certificates=str(tls.ca_file) if tls.ca_file else None,
                        private_key=str(tls.key_file) if tls.key_file else None,
                        certificate_chain=str(tls.cert_file) if tls.cert_file else None,
                    )
                except OSError as exc:
                    raise AdapterError(
                        ErrorKind.CLIENT, f"{self._where}: TLS files unusable ({type(exc).__name__})"
                    ) from None
            else:
                self._client = grpcaio.InferenceServerClient(url=self.config.url)
        return self._client

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self._ssl_context()) if self.config.tls is not None else None
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def _headers(self) -> dict[str, str] | None:
        if not self.config.headers:
            return None
        if self._http:
            return {name: ref.reveal() for name, ref in self.config.headers.items()}
        # gRPC metadata keys are lower-case
        return {name.lower(): ref.reveal() for name, ref in self.config.headers.items()}

    def _scrub(self, text: str, *secrets: str) -> str:
        """Server-supplied detail text, shortened, without header values (in any case, masked too), key-like tokens
        or the given strings (the prompt)."""
        return scrub(text, [ref.reveal() for ref in self.config.headers.values()], plain=secrets, limit=_MAX_DETAIL)

    def _raise(self, what: str, exc: InferenceServerException, *secrets: str) -> NoReturn:
        status = exc.status()
        kind = classify_status(status)
        if not status:
            code = "not sent"
        elif status.isdigit():
            code = f"HTTP {status}"
        else:
            code = status.rsplit(".", 1)[-1]
        detail = self._scrub(str(exc.message() or ""), *secrets)
        if _RESTRICTED in detail:  # Triton's --grpc-restricted-protocol/--http-restricted-api: access, not outage
            kind = ErrorKind.AUTH
        raise AdapterError(kind, f"{self._where}: {what} failed [{code}]: {detail}") from None

    async def _call(self, what: str, coro: Any, timeout_s: float, *secrets: str) -> Any:
        """Await one tritonclient call; every failure becomes a classified AdapterError."""
        try:
            if self._http:  # the gRPC calls carry their own deadline (client_timeout)
                return await asyncio.wait_for(coro, timeout_s)
            return await coro
        except InferenceServerException as exc:
            self._raise(what, exc, *secrets)
        except TimeoutError:
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: {what} timed out after {timeout_s:g}s") from None
        except aiohttp.ClientPayloadError as exc:
            raise AdapterError(
                ErrorKind.MALFORMED, f"{self._where}: {what}: truncated reply ({type(exc).__name__})"
            ) from None
        except aiohttp.ClientConnectionError as exc:
            raise AdapterError(ErrorKind.CONNECTION, f"{self._where}: {what}: {type(exc).__name__}") from None
        except aiohttp.ClientResponseError as exc:
            raise AdapterError(classify_http(exc.status), f"{self._where}: {what} failed [HTTP {exc.status}]") from None

    # -------------------------------------------------------------------------------------------------- protocol

    async def identity(self) -> ModelIdentity:
        """The model's metadata and config; a server that does not give them (a proxy forwarding inference
        only, say): the model's entries in the repository index."""
        return await described(self._where, [("model", self._described), ("list", self._indexed)])

    async def _indexed(self) -> ModelIdentity:
        client = self._get_client()
        timeout = self.config.timeout
        extra_kw: dict[str, Any] = {} if self._http else {"as_json": True, "client_timeout": timeout}
        index = await self._call(
            "get_model_repository_index", client.get_model_repository_index(headers=self._headers(), **extra_kw),
            timeout,
        )
        entries = index.get("models", []) if isinstance(index, dict) else index
        if not isinstance(entries, list):
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: repository index is not a list")
        mine = sorted(
            ({k: str(e.get(k, "")) for k in ("name", "version", "state")} for e in entries
             if isinstance(e, dict) and e.get("name") == self.config.model),
            key=lambda e: (e["version"], e["state"]),
        )
        ready = [e["version"] for e in mine if e["state"] == "READY"]
        version = self.config.model_version
        if (version and version not in ready) or not ready:
            states = ", ".join(f"{e['version'] or '?'}: {e['state'] or '?'}" for e in mine) or "not listed"
            raise AdapterError(ErrorKind.CLIENT, f"{self._where}: no ready version in the repository index ({states})")
        if not version:
            version = max(ready, key=lambda v: (int(v) if v.isdigit() else -1, v))
        return ModelIdentity(model=self.config.model, version=version, fingerprint=_fingerprint({"index": mine}),
                             extra={"versions": ",".join(ready)})

    async def _described(self) -> ModelIdentity:
        client = self._get_client()
        headers = self._headers()
        timeout = self.config.timeout
        model, version = self.config.model, self.config.model_version
        extra_kw: dict[str, Any] = {} if self._http else {"as_json": True, "client_timeout": timeout}
        meta = await self._call(
            "get_model_metadata", client.get_model_metadata(model, version, headers=headers, **extra_kw), timeout
        )
        try:
            model_config: dict[str, Any] | None = await self._call(
                "get_model_config", client.get_model_config(model, version, headers=headers, **extra_kw), timeout
            )
        except AdapterError as exc:
            if exc.kind not in (ErrorKind.AUTH, ErrorKind.CLIENT):
                raise
            model_config = None  # config endpoint restricted: fingerprint the metadata alone
        if not isinstance(meta, dict):
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: model metadata is not an object")

        versions = [str(v) for v in meta.get("versions", [])]
        if not version and versions:
            version = max(versions, key=lambda v: (int(v) if v.isdigit() else -1, v))
        stable = _stable_config(model_config) if isinstance(model_config, dict) else None
        basis = {"metadata": meta, "config": stable}
        extra = {"platform": str(meta.get("platform", "")), "versions": ",".join(versions)}
        if stable is not None:
            extra["backend"] = str(stable.get("backend", ""))
        return ModelIdentity(
            model=str(meta.get("name", model)), version=version, fingerprint=_fingerprint(basis), extra=extra
        )

    def _prompt(self, request: ProbeRequest) -> str:
        template = self.config.prompt_template
        return request.prompt if template is None else template.format(prompt=request.prompt)

    def _budget(self, request: ProbeRequest) -> int:
        return max(1, min(request.max_tokens, self.config.max_tokens))

    def _check_image(self, image: object) -> np.ndarray:
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] < 1 or array.shape[1] < 1:
            raise AdapterError(ErrorKind.CLIENT, f"{self._where}: image must have shape (H, W, 3), not {array.shape}")
        return array

    def _png_base64(self, image: object) -> str:
        """Base64 PNG of the image: a prepared suite image's own file bytes when they are an RGB PNG."""
        if isinstance(image, SuiteImage) and image.passthrough:
            return image.png_base64()
        return png_base64(self._check_image(image))

    def tensors(self, request: ProbeRequest) -> list[WireTensor]:
        """The request's input tensors for this endpoint's preset (not for preset generate)."""
        cfg = self.config
        spec = cfg.tensors
        preset = cfg.preset
        out = [WireTensor(spec.prompt.name, "BYTES", _bytes_array(self._prompt(request)))]
        if request.image is not None:
            if spec.image is None:
                raise AdapterError(
                    ErrorKind.CLIENT,
                    f"{self._where}: preset {preset!r} sends text only; set tensors.image for a multimodal model",
                )
            if spec.image.datatype == "BYTES":
                out.append(WireTensor(spec.image.name, "BYTES", _bytes_array(self._png_base64(request.image))))
            else:
                out.append(WireTensor(spec.image.name, spec.image.datatype,
                                      np.ascontiguousarray(self._check_image(request.image), dtype=self._image_dtype)))
        budget = self._budget(request)
        if spec.max_tokens is not None and self._max_tokens_dtype is not None:
            out.append(WireTensor(spec.max_tokens.name, spec.max_tokens.datatype,
                                  np.array([budget], dtype=self._max_tokens_dtype)))
        if preset == "vllm":
            sampling = json.dumps({"max_tokens": budget, "temperature": 0})
            out += [
                WireTensor("stream", "BOOL", np.array([False], dtype=np.bool_)),
                WireTensor("sampling_parameters", "BYTES", _bytes_array(sampling)),
                WireTensor("exclude_input_in_output", "BOOL", np.array([True], dtype=np.bool_)),
            ]
        elif preset == "trtllm":
            out += [
                WireTensor("bad_words", "BYTES", _bytes_array("")),
                WireTensor("stop_words", "BYTES", _bytes_array("")),
                WireTensor("exclude_input_in_output", "BOOL", np.array([True], dtype=np.bool_)),
            ]
        if cfg.has_batch_dim:
            out = [WireTensor(t.name, t.datatype, t.array[np.newaxis, ...]) for t in out]
        return out

    def generate_body(self, request: ProbeRequest) -> dict[str, Any]:
        """The JSON body of a generate-extension request (preset generate)."""
        spec = self.config.tensors
        budget = self._budget(request)
        # exclude_input_in_output is an input of both the vLLM backend and the TRT-LLM ensemble (without it they
        # repeat the prompt); Triton passes keys that name no input on as request parameters
        body: dict[str, Any] = {spec.prompt.name: self._prompt(request), "exclude_input_in_output": True}
        if request.image is not None:
            if spec.image is None:
                raise AdapterError(ErrorKind.CLIENT, f"{self._where}: tensors.image is null: text only")
            body[spec.image.name] = self._png_base64(request.image)
        parameters: dict[str, Any] = {"temperature": 0}
        if spec.max_tokens is not None:
            body[spec.max_tokens.name] = budget
        else:
            parameters["max_tokens"] = budget
        body["parameters"] = parameters
        return body

    def _ready(self, request: ProbeRequest) -> bool:
        """Whether the request is built without decoding or encoding an image, so cheaply (tens of microseconds)
        that a thread hand-off would cost more: no image, an image this preset refuses (an error at once), or a
        prepared suite image sent as its own base64 PNG (a BYTES image tensor, the generate extension's JSON)."""
        image = request.image
        spec = self.config.tensors.image
        if image is None or spec is None:
            return True
        if self.config.preset != "generate" and spec.datatype != "BYTES":
            return False  # pixels: decoded, maybe converted
        return isinstance(image, SuiteImage) and image.passthrough

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        ready = self._ready(request)  # otherwise PNG encoding or pixel decoding: CPU work, off the event loop
        if self.config.preset == "generate":
            body = self.generate_body(request) if ready else await asyncio.to_thread(self.generate_body, request)
            return Reply(text=await self._generate_extension(body, request.prompt, timeout_s))
        wire = self.tensors(request) if ready else await asyncio.to_thread(self.tensors, request)
        lib = httpclient if self._http else grpcclient
        try:
            inputs = []
            for t in wire:
                tensor = lib.InferInput(t.name, list(t.array.shape), t.datatype)
                tensor.set_data_from_numpy(t.array)
                inputs.append(tensor)
        except InferenceServerException as exc:
            self._raise("building the request", exc, request.prompt)
        client = self._get_client()
        common = {"model_version": self.config.model_version, "request_id": request.request_id}
        if self.config.is_decoupled:
            result = await self._stream_infer(client, inputs, common, request.prompt, timeout_s)
        elif self._http:
            call = client.infer(self.config.model, inputs, headers=self._headers(), **common)
            result = await self._call("infer", call, timeout_s, request.prompt)
        else:
            call = client.infer(self.config.model, inputs, headers=self._headers(), client_timeout=timeout_s, **common)
            result = await self._call("infer", call, timeout_s, request.prompt)
        return Reply(text=self._text(result))

    async def _stream_infer(
        self, client: Any, inputs: list[Any], common: dict[str, Any], prompt: str, timeout_s: float
    ) -> Any:
        """A decoupled model over gRPC streaming: send one request, return its first response with an output."""
        done = asyncio.Event()

        async def requests() -> AsyncIterator[dict[str, Any]]:
            yield {"model_name": self.config.model, "inputs": inputs, **common}
            await done.wait()  # keep the stream open until the answer is in

        try:
            responses = client.stream_infer(requests(), stream_timeout=timeout_s, headers=self._headers())
        except InferenceServerException as exc:
            self._raise("stream_infer", exc, prompt)
        try:
            async for result, error in responses:
                if error is not None:
                    detail = self._scrub(str(error.message() or ""), prompt)
                    kind = ErrorKind.CLIENT if _STREAM_CLIENT_ERROR.search(detail) else ErrorKind.SERVER
                    raise AdapterError(kind, f"{self._where}: stream_infer failed: {detail}")
                if result is not None and result.get_response().outputs:
                    return result
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: stream ended without a response")
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            kind = _STATUS_KINDS.get(code.name, ErrorKind.SERVER)
            if kind is ErrorKind.TIMEOUT:
                raise AdapterError(kind, f"{self._where}: stream timed out after {timeout_s:g}s") from None
            detail = self._scrub(str(exc.details() or ""), prompt)
            raise AdapterError(kind, f"{self._where}: stream_infer failed [{code.name}]: {detail}") from None
        except TimeoutError:
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: stream timed out after {timeout_s:g}s") from None
        finally:
            done.set()
            responses.cancel()

    async def _generate_extension(self, body: dict[str, Any], prompt: str, timeout_s: float) -> str:
        version = f"/versions/{self.config.model_version}" if self.config.model_version else ""
        url = f"{self._base}/v2/models/{self.config.model}{version}/generate"
        headers = {"Content-Type": "application/json", **(self._headers() or {})}
        try:
            async with self._get_session().post(
                url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    kind = classify_http(resp.status)
                    detail = self._scrub(_error_detail(raw), prompt)
                    raise AdapterError(kind, f"{self._where}: generate failed [HTTP {resp.status}]: {detail}")
        except TimeoutError:
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: generate timed out after {timeout_s:g}s") from None
        except aiohttp.ClientPayloadError as exc:
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: truncated reply ({type(exc).__name__})") from None
        except aiohttp.ClientConnectionError as exc:
            raise AdapterError(ErrorKind.CONNECTION, f"{self._where}: generate: {type(exc).__name__}") from None
        try:
            data = json.loads(raw)
        except ValueError:
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: generate reply is not JSON") from None
        name = self.config.tensors.output.name
        value = data.get(name) if isinstance(data, dict) else None
        if isinstance(value, list) and len(value) >= 1:
            value = value[0]
        if not isinstance(value, str):
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: generate reply has no string {name!r} (got {got})")
        return value

    def _text(self, result: Any) -> str:
        name = self.config.tensors.output.name
        try:
            array = result.as_numpy(name)
        except Exception as exc:  # tritonclient could not deserialize the tensor
            raise AdapterError(
                ErrorKind.MALFORMED, f"{self._where}: output tensor {name!r} is not decodable ({type(exc).__name__})"
            ) from None
        if array is None:
            raise AdapterError(
                ErrorKind.MALFORMED, f"{self._where}: reply has no output tensor {name!r} (got {_output_names(result)})"
            )
        if array.size < 1:
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: output tensor {name!r} is empty")
        value = array.reshape(-1)[0]
        if isinstance(value, str):
            return value
        if not isinstance(value, bytes | bytearray | np.bytes_):
            raise AdapterError(
                ErrorKind.MALFORMED, f"{self._where}: output tensor {name!r} holds {type(value).__name__}, not bytes"
            )
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: output tensor {name!r} is not UTF-8") from None

    async def close(self) -> None:
        client, self._client = self._client, None
        session, self._session = self._session, None
        if client is not None:
            await client.close()
        if session is not None:
            await session.close()


def _output_names(result: Any) -> list[str]:
    response = result.get_response()
    if isinstance(response, dict):  # HTTP
        return [str(out.get("name")) for out in response.get("outputs", []) if isinstance(out, dict)]
    return [out.name for out in response.outputs]


def _error_detail(raw: bytes) -> str:
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and "error" in data:
            return str(data["error"])
    except ValueError:
        pass
    return raw[:200].decode("utf-8", "replace")


@register_adapter("triton")
def create_triton_adapter(config: TritonEndpoint) -> TritonAdapter:
    return TritonAdapter(config)
