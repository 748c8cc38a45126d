"""Adapter for OpenAI-compatible chat-completions servers (OpenAI, vLLM, TGI, Triton's OpenAI frontend).

Wire format (OpenAI API reference, "Create chat completion"): ``POST {base_url}/chat/completions`` with
``{"model", "messages": [{"role": "user", "content": [{"type": "text", "text": ...},
{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}]}], "max_tokens", "temperature"}``;
the reply's ``choices[0].message.content`` is the answer, ``model`` and ``system_fingerprint`` say which model
answered, ``usage`` counts tokens. Errors come as ``{"error": {"message", "type", "code"}}`` with the HTTP status;
429 and 5xx are retryable and ``Retry-After`` is honoured. The API key never appears in an error message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from typing import TYPE_CHECKING, Any

import aiohttp

from monitor.adapters import register_adapter
from monitor.adapters.base import AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply

if TYPE_CHECKING:
    from monitor.config import OpenAIEndpoint

_MAX_DETAIL = 300


def classify_http(status: int) -> ErrorKind:
    if status in (401, 403):
        return ErrorKind.AUTH
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.SERVER
    return ErrorKind.CLIENT


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def encode_image(image: object, max_side: int | None) -> str:
    """RGB array → PNG data URL, downscaled so the longest side is at most ``max_side`` (if given)."""
    import numpy as np
    from PIL import Image

    img = Image.fromarray(np.asarray(image, dtype=np.uint8), "RGB")
    if max_side is not None and max(img.size) > max_side:
        scale = max_side / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class OpenAIAdapter:
    def __init__(self, config: OpenAIEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        self._session: aiohttp.ClientSession | None = None
        self._where = f"openai endpoint {config.name!r} ({config.base_url}, model {config.model!r})"

    def _headers(self) -> dict[str, str]:
        headers = {name: ref.reveal() for name, ref in self.config.headers.items()}
        headers["Content-Type"] = "application/json"
        if self.config.api_key is not None:
            headers["Authorization"] = f"Bearer {self.config.api_key.reveal()}"
        return headers

    def _session_(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _scrub(self, text: str) -> str:
        secrets = [ref.reveal() for ref in self.config.headers.values()]
        if self.config.api_key is not None:
            secrets.append(self.config.api_key.reveal())
        for value in sorted((s for s in secrets if s), key=len, reverse=True):
            text = text.replace(value, "<redacted>")
        text = " ".join(text.split())
        return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."

    async def _request(self, method: str, path: str, timeout_s: float, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.config.base_url}{path}"
        try:
            async with self._session_().request(
                method, url, json=body, headers=self._headers(), timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    kind = classify_http(resp.status)
                    detail = _error_detail(raw)
                    what = "credentials missing or rejected" if kind is ErrorKind.AUTH else "request failed"
                    raise AdapterError(kind, f"{self._where}: {what} [HTTP {resp.status}]: {self._scrub(detail)}",
                                       retry_after=_retry_after(resp.headers))
        except TimeoutError:
            raise AdapterError(ErrorKind.TIMEOUT, f"{self._where}: no reply within {timeout_s:g}s") from None
        except aiohttp.ClientPayloadError as exc:
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: truncated reply ({type(exc).__name__})") from None
        except aiohttp.ClientConnectionError as exc:
            raise AdapterError(ErrorKind.CONNECTION, f"{self._where}: {type(exc).__name__}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: reply is not JSON") from None

    async def identity(self) -> ModelIdentity:
        data = await self._request("GET", f"/models/{self.config.model}", self.config.timeout)
        if not isinstance(data, dict):
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: model description is not an object")
        basis = json.dumps(data, sort_keys=True, default=str)
        return ModelIdentity(model=str(data.get("id", self.config.model)), version=str(data.get("created", "")),
                             fingerprint=hashlib.sha256(basis.encode()).hexdigest()[:16],
                             extra={"owned_by": str(data.get("owned_by", ""))})

    def body(self, request: ProbeRequest) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        if request.image is not None:
            url = encode_image(request.image, self.config.image_max_side)
            content.append({"type": "image_url", "image_url": {"url": url}})
        return {"model": self.config.model, "messages": [{"role": "user", "content": content}],
                "max_tokens": min(request.max_tokens, self.config.max_tokens), "temperature": self.config.temperature}

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        body = await asyncio.to_thread(self.body, request)  # PNG encoding is CPU work
        data = await self._request("POST", "/chat/completions", timeout_s, body)
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: reply has no choices[0].message.content") from None
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: message content is not a string")
        usage = data.get("usage") if isinstance(data, dict) else None
        tokens_in = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        tokens_out = usage.get("completion_tokens") if isinstance(usage, dict) else None
        return Reply(text=text, tokens_in=tokens_in if isinstance(tokens_in, int) else None,
                     tokens_out=tokens_out if isinstance(tokens_out, int) else None)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _error_detail(raw: bytes) -> str:
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return str(data["error"].get("message", ""))
        if isinstance(data, dict) and "error" in data:
            return str(data["error"])
    except ValueError:
        pass
    return raw[:200].decode("utf-8", "replace")


@register_adapter("openai")
def create_openai_adapter(config: OpenAIEndpoint) -> OpenAIAdapter:
    return OpenAIAdapter(config)
