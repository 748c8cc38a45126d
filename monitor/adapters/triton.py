"""Adapter for models served by NVIDIA Triton Inference Server, over gRPC (``tritonclient.grpc.aio``).

The request is one inference call: the prompt as a BYTES tensor, the image (when the probe has one) as an
H x W x 3 tensor, and the token budget when the endpoint's tensor layout has a max-tokens input. Tensor names and
datatypes come from the endpoint's ``tensors`` config (the demo server's layout by default). The reply's output
tensor must hold one UTF-8 string.

Every failure becomes an :class:`AdapterError` whose kind follows the gRPC status code. Messages name the endpoint
and the status, never header values or the prompt.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

from monitor.adapters import register_adapter
from monitor.adapters.base import AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply

if TYPE_CHECKING:
    from monitor.config import TensorSpec, TritonEndpoint

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

# Model-config parameters that change on every server start without the model changing (pytriton's workspace);
# they are left out of the fingerprint.
_VOLATILE_PARAMETERS = frozenset({"workspace-path"})

_MAX_DETAIL = 300


def classify_status(status: str | None) -> ErrorKind:
    """Map tritonclient's status string (e.g. ``'StatusCode.UNAVAILABLE'``) to an error kind.

    A missing status means tritonclient refused the request before sending it: a CLIENT error.
    """
    if not status:
        return ErrorKind.CLIENT
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


class TritonAdapter:
    """One Triton model endpoint; a single gRPC client (channel) is shared by all requests."""

    def __init__(self, config: TritonEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        tensors = config.tensors  # prompt and output are BYTES: the config validates that
        self._image_dtype = np.dtype(triton_to_np_dtype(tensors.image.datatype))
        self._max_tokens_dtype = (
            np.dtype(triton_to_np_dtype(tensors.max_tokens.datatype)) if tensors.max_tokens is not None else None
        )
        self._client: Any | None = None
        self._where = f"triton endpoint {config.name!r} ({config.url}, model {config.model!r})"

    # ------------------------------------------------------------------------------------------------- plumbing

    def _get_client(self) -> Any:
        # created on first use, inside the running event loop the channel will belong to
        if self._client is None:
            self._client = grpcaio.InferenceServerClient(url=self.config.url)
        return self._client

    def _headers(self) -> dict[str, str] | None:
        if not self.config.headers:
            return None
        # gRPC metadata keys are lower-case
        return {name.lower(): ref.reveal() for name, ref in self.config.headers.items()}

    def _scrub(self, text: str, *secrets: str) -> str:
        """Server-supplied detail text, shortened, with header values and the given strings removed."""
        hidden = [s for s in secrets if s] + [ref.reveal() for ref in self.config.headers.values()]
        for value in sorted(hidden, key=len, reverse=True):
            if value:
                text = text.replace(value, "<redacted>")
        text = " ".join(text.split())
        return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."

    def _raise(self, what: str, exc: InferenceServerException, *secrets: str) -> NoReturn:
        status = exc.status()
        kind = classify_status(status)
        code = status.rsplit(".", 1)[-1] if status else "not sent"
        detail = self._scrub(str(exc.message() or ""), *secrets)
        raise AdapterError(kind, f"{self._where}: {what} failed [{code}]: {detail}") from None

    # -------------------------------------------------------------------------------------------------- protocol

    async def identity(self) -> ModelIdentity:
        client = self._get_client()
        headers = self._headers()
        timeout = self.config.timeout
        try:
            meta = await client.get_model_metadata(
                self.config.model, self.config.model_version, headers=headers, as_json=True, client_timeout=timeout
            )
        except InferenceServerException as exc:
            self._raise("get_model_metadata", exc)
        try:
            model_config: dict[str, Any] | None = await client.get_model_config(
                self.config.model, self.config.model_version, headers=headers, as_json=True, client_timeout=timeout
            )
        except InferenceServerException as exc:
            if classify_status(exc.status()) not in (ErrorKind.AUTH, ErrorKind.CLIENT):
                self._raise("get_model_config", exc)
            model_config = None  # config endpoint restricted: fingerprint the metadata alone

        versions = [str(v) for v in meta.get("versions", [])]
        version = self.config.model_version
        if not version and versions:
            version = max(versions, key=lambda v: (int(v) if v.isdigit() else -1, v))
        basis = {"metadata": meta, "config": _stable_config(model_config) if model_config is not None else None}
        extra = {"platform": str(meta.get("platform", "")), "versions": ",".join(versions)}
        if model_config is not None:
            extra["backend"] = str(_stable_config(model_config).get("backend", ""))
        return ModelIdentity(
            model=str(meta.get("name", self.config.model)),
            version=version,
            fingerprint=_fingerprint(basis),
            extra=extra,
        )

    def _inputs(self, request: ProbeRequest) -> list[Any]:
        tensors = self.config.tensors
        prompt = grpcclient.InferInput(tensors.prompt.name, [1], "BYTES")
        prompt.set_data_from_numpy(np.array([request.prompt.encode("utf-8")], dtype=np.object_))
        inputs = [prompt]
        if request.image is not None:
            inputs.append(self._image_input(tensors.image, request.image))
        if tensors.max_tokens is not None and self._max_tokens_dtype is not None:
            budget = max(1, min(request.max_tokens, self.config.max_tokens))
            max_tokens = grpcclient.InferInput(tensors.max_tokens.name, [1], tensors.max_tokens.datatype)
            max_tokens.set_data_from_numpy(np.array([budget], dtype=self._max_tokens_dtype))
            inputs.append(max_tokens)
        return inputs

    def _image_input(self, spec: TensorSpec, image: object) -> Any:
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] < 1 or array.shape[1] < 1:
            raise AdapterError(ErrorKind.CLIENT, f"{self._where}: image must have shape (H, W, 3), not {array.shape}")
        array = np.ascontiguousarray(array, dtype=self._image_dtype)
        tensor = grpcclient.InferInput(spec.name, list(array.shape), spec.datatype)
        tensor.set_data_from_numpy(array)
        return tensor

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        try:
            inputs = self._inputs(request)
        except InferenceServerException as exc:
            self._raise("building the request", exc, request.prompt)
        client = self._get_client()
        try:
            result = await client.infer(
                self.config.model,
                inputs,
                model_version=self.config.model_version,
                request_id=request.request_id,
                headers=self._headers(),
                client_timeout=timeout_s,
            )
        except InferenceServerException as exc:
            self._raise("infer", exc, request.prompt)
        except TimeoutError:
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: infer timed out after {timeout_s:g}s") from None
        return Reply(text=self._text(result))

    def _text(self, result: Any) -> str:
        name = self.config.tensors.output.name
        try:
            array = result.as_numpy(name)
        except Exception as exc:  # tritonclient could not deserialize the tensor
            raise AdapterError(
                ErrorKind.MALFORMED, f"{self._where}: output tensor {name!r} is not decodable ({type(exc).__name__})"
            ) from None
        if array is None:
            returned = [out.name for out in result.get_response().outputs]
            raise AdapterError(
                ErrorKind.MALFORMED, f"{self._where}: reply has no output tensor {name!r} (got {returned})"
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
        if client is not None:
            await client.close()


@register_adapter("triton")
def create_triton_adapter(config: TritonEndpoint) -> TritonAdapter:
    return TritonAdapter(config)
