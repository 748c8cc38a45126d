"""Adapter for OpenAI-compatible chat-completions servers (OpenAI, vLLM, TGI, Triton's OpenAI frontend).

Wire format (OpenAI API reference, "Create chat completion"): ``POST {base_url}/chat/completions`` with
``{"model", "messages": [{"role": "user", "content": [{"type": "text", "text": ...},
{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}]}], "max_tokens", "temperature"}``;
the reply's ``choices[0].message.content`` is the answer, ``model`` and ``system_fingerprint`` say which model
answered, ``usage`` counts tokens. The model is identified by ``GET {base_url}/models/{model}``, or, on a server
without that route, by its entry in ``GET {base_url}/models``. Errors come as ``{"error": {"message", "type",
"code"}}`` with the HTTP status; 429 and 5xx are retryable and ``Retry-After`` is honoured. The API key never appears
in an error message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from monitor.adapters import register_adapter
from monitor.adapters._fallback import described
from monitor.adapters._http import (
    HttpFailure,
    JsonHttpClient,
    classify_http,
    encode_image,
    json_error_object,
    raw_detail,
    retry_after_header,
)
from monitor.adapters.base import AdapterError, ErrorKind, ModelIdentity, ProbeRequest, Reply
from monitor.images import SuiteImage

if TYPE_CHECKING:
    from monitor.config import OpenAIEndpoint


_URL_MARK = "\u0000image-url\u0000"
_URL_MARK_JSON = json.dumps(_URL_MARK)


def _classify(status: int, raw: bytes, headers: Mapping[str, str]) -> HttpFailure:
    error = json_error_object(raw)
    detail = str(error.get("message", "")) if error is not None else raw_detail(raw)
    return HttpFailure(classify_http(status), detail, retry_after_header(headers))


class OpenAIAdapter:
    def __init__(self, config: OpenAIEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        self._where = f"openai endpoint {config.name!r} ({config.base_url}, model {config.model!r})"
        self._http = JsonHttpClient(self._where, config.base_url, self._headers, self._secrets, _classify)

    def _headers(self) -> dict[str, str]:
        headers = {name: ref.reveal() for name, ref in self.config.headers.items()}
        headers["Content-Type"] = "application/json"
        if self.config.api_key is not None:
            headers["Authorization"] = f"Bearer {self.config.api_key.reveal()}"
        return headers

    def _secrets(self) -> list[str]:
        secrets = [ref.reveal() for ref in self.config.headers.values()]
        if self.config.api_key is not None:
            secrets.append(self.config.api_key.reveal())
        return secrets

    async def identity(self) -> ModelIdentity:
        """``GET /models/{model}``; a server without that route: the model's entry in ``GET /models``."""
        return await described(self._where, [("model", self._described), ("list", self._listed)])

    async def _described(self) -> ModelIdentity:
        data = await self._http.request("GET", f"/models/{self.config.model}", self.config.timeout)
        if not isinstance(data, dict):
            raise self._http.malformed("model description is not an object")
        return self._identity_of(data)

    async def _listed(self) -> ModelIdentity:
        data = await self._http.request("GET", "/models", self.config.timeout)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise self._http.malformed("model list has no data list")
        for entry in entries:
            if isinstance(entry, dict) and entry.get("id") == self.config.model:
                return self._identity_of(entry)
        raise AdapterError(ErrorKind.CLIENT, f"{self._where}: the model is not in the model list "
                                             f"({len(entries)} models listed)")

    def _identity_of(self, data: dict[str, Any]) -> ModelIdentity:
        """The same identity whichever route described the model (the list holds the same model objects)."""
        basis = json.dumps(data, sort_keys=True, default=str)
        return ModelIdentity(model=str(data.get("id", self.config.model)), version=str(data.get("created", "")),
                             fingerprint=hashlib.sha256(basis.encode()).hexdigest()[:16],
                             extra={"owned_by": str(data.get("owned_by", ""))})

    def body(self, request: ProbeRequest, *, image_url: str | None = None) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        if request.image is not None:
            url = image_url if image_url is not None else encode_image(request.image, self.config.image_max_side)
            content.append({"type": "image_url", "image_url": {"url": url}})
        return {"model": self.config.model, "messages": [{"role": "user", "content": content}],
                "max_tokens": min(request.max_tokens, self.config.max_tokens), "temperature": self.config.temperature}

    def _prepared(self, request: ProbeRequest) -> bool:
        """Whether the body needs no image encoding: no image, or a suite image sent as its own PNG bytes."""
        image = request.image
        return image is None or (isinstance(image, SuiteImage) and image.fits(self.config.image_max_side))

    def encoded_body(self, request: ProbeRequest) -> bytes:
        """The request body as JSON bytes. A prepared suite image's data URL is spliced in as the JSON string made
        once for it, so the large base64 text is neither re-encoded nor re-escaped per request."""
        image = request.image
        if not (isinstance(image, SuiteImage) and image.fits(self.config.image_max_side)):
            return json.dumps(self.body(request)).encode()
        # the image URL is the last string in the body: nothing after it comes from the prompt
        head, _, tail = json.dumps(self.body(request, image_url=_URL_MARK)).rpartition(_URL_MARK_JSON)
        return (head + image.data_url_json() + tail).encode()

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        if self._prepared(request):
            body = self.encoded_body(request)
        else:
            body = await asyncio.to_thread(self.encoded_body, request)  # PNG encoding is CPU work
        data = await self._http.request("POST", "/chat/completions", timeout_s, data=body)
        try:
            text = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise self._http.malformed("reply has no choices[0].message.content") from None
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise AdapterError(ErrorKind.MALFORMED, f"{self._where}: message content is not a string")
        usage = data.get("usage") if isinstance(data, dict) else None
        tokens_in = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        tokens_out = usage.get("completion_tokens") if isinstance(usage, dict) else None
        return Reply(text=text, tokens_in=tokens_in if isinstance(tokens_in, int) else None,
                     tokens_out=tokens_out if isinstance(tokens_out, int) else None,
                     model=str(data.get("model") or ""), fingerprint=str(data.get("system_fingerprint") or ""))

    async def close(self) -> None:
        await self._http.close()


@register_adapter("openai")
def create_openai_adapter(config: OpenAIEndpoint) -> OpenAIAdapter:
    return OpenAIAdapter(config)
