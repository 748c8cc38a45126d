"""Adapter for Anthropic's Messages API (or any server speaking it).

Wire format (Anthropic API reference, "Messages"): ``POST {base_url}/v1/messages`` with the headers ``x-api-key``,
``anthropic-version`` and ``content-type: application/json`` and the body ``{"model", "max_tokens", "temperature",
"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type":
"image/png", "data": ...}}, {"type": "text", "text": ...}]}]}`` (the image block first, as Anthropic recommends;
none for text-only probes). The reply's ``content`` is a list of blocks whose ``text`` blocks, joined, are the
answer; ``usage.input_tokens``/``usage.output_tokens`` count tokens; ``stop_reason: "refusal"`` means the platform's
safety classifiers stopped the answer: a *platform refusal*, neither an error nor an answer of the model.

Errors come as ``{"type": "error", "error": {"type", "message"}}`` with the HTTP status: 429 ``rate_limit_error``
(``Retry-After`` honoured), 500 ``api_error`` and 529 ``overloaded_error`` are retried; 504 ``timeout_error`` counts
as a timeout; 401 ``authentication_error`` / 403 ``permission_error`` fail at once as credential errors; other 4xx
(``invalid_request_error``, ``not_found_error``, ``request_too_large``, ``billing_error``) are our request's fault.
A 429 saying the organisation's spend limit is reached is not retried (it lasts until the limit is raised).

The model is identified by ``GET {base_url}/v1/models/{model}`` (``id``, ``display_name``, ``created_at``), which
also resolves aliases to the dated model id; on a server without that route, by its entry in ``GET
{base_url}/v1/models`` (paged by ``after_id``; an alias is not listed there). A server with neither (a Messages-only
server) raises a client error, and monitor.identity identifies the model by what the replies name.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from monitor.adapters import register_adapter
from monitor.adapters._fallback import Page, described, listed
from monitor.adapters._http import (
    HttpFailure,
    JsonHttpClient,
    classify_http,
    int_or_none,
    json_error_object,
    png_base64,
    raw_detail,
    retry_after_header,
)
from monitor.adapters.base import ErrorKind, ModelIdentity, ProbeRequest, Reply

if TYPE_CHECKING:
    from monitor.config import AnthropicEndpoint

_SPEND_LIMIT = "enforced_spend_limit_reached"


def classify_error(status: int, raw: bytes, headers: Mapping[str, str]) -> HttpFailure:
    """An Anthropic error reply → kind, the server's message and the wait it asked for."""
    error = json_error_object(raw)
    etype = str(error.get("type", "")) if error is not None else ""
    detail = str(error.get("message", "")) if error is not None else raw_detail(raw)
    if etype:
        detail = f"{etype}: {detail}"
    kind = classify_http(status)
    if etype == "timeout_error" or status == 504:
        kind = ErrorKind.TIMEOUT
    elif etype in ("overloaded_error", "api_error") or status == 529:
        kind = ErrorKind.SERVER
    elif etype == "rate_limit_error" or status == 429:
        details = error.get("details") if error is not None else None
        code = details.get("error_code") if isinstance(details, dict) else None
        if code == _SPEND_LIMIT:  # no use retrying until the limit is raised or the month is over
            return HttpFailure(ErrorKind.CLIENT, f"spend limit reached: {detail}")
        kind = ErrorKind.RATE_LIMITED
    elif etype in ("authentication_error", "permission_error"):
        kind = ErrorKind.AUTH
    return HttpFailure(kind, detail, retry_after_header(headers) if kind.retryable else None)


class AnthropicAdapter:
    def __init__(self, config: AnthropicEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        self._where = f"anthropic endpoint {config.name!r} ({config.base_url}, model {config.model!r})"
        self._http = JsonHttpClient(self._where, config.base_url, self._headers, self._secrets, classify_error)

    def _headers(self) -> dict[str, str]:
        headers = {name: ref.reveal() for name, ref in self.config.headers.items()}
        headers["x-api-key"] = self.config.api_key.reveal()
        headers["anthropic-version"] = self.config.anthropic_version
        headers["content-type"] = "application/json"
        return headers

    def _secrets(self) -> list[str]:
        return [self.config.api_key.reveal(), *(ref.reveal() for ref in self.config.headers.values())]

    async def identity(self) -> ModelIdentity:
        return await described(self._where, [("model", self._described), ("list", self._listed)])

    async def _described(self) -> ModelIdentity:
        data = await self._http.request("GET", f"/v1/models/{self.config.model}", self.config.timeout)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise self._http.malformed("model description has no id")
        return self._identity_of(data)

    async def _listed(self) -> ModelIdentity:
        async def page(after: str) -> Page:
            query = f"&after_id={quote(after, safe='')}" if after else ""
            data = await self._http.request("GET", f"/v1/models?limit=1000{query}", self.config.timeout)
            entries = data.get("data") if isinstance(data, dict) else None
            if not isinstance(entries, list):
                return None, ""
            last = data.get("last_id")
            return entries, last if data.get("has_more") and isinstance(last, str) else ""

        return self._identity_of(await listed(self._where, page, lambda e: e.get("id") == self.config.model))

    def _identity_of(self, data: dict[str, Any]) -> ModelIdentity:
        described_ = {key: str(data.get(key, "")) for key in ("id", "display_name", "created_at")}
        basis = json.dumps(described_, sort_keys=True)
        return ModelIdentity(model=described_["id"], version=described_["created_at"],
                             fingerprint=hashlib.sha256(basis.encode()).hexdigest()[:16],
                             extra={"display_name": described_["display_name"]})

    def body(self, request: ProbeRequest) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if request.image is not None:
            data = png_base64(request.image, self.config.image_max_side)
            content.append({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}})
        content.append({"type": "text", "text": request.prompt})
        return {"model": self.config.model, "max_tokens": min(request.max_tokens, self.config.max_tokens),
                "temperature": self.config.temperature, "messages": [{"role": "user", "content": content}]}

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        body = await asyncio.to_thread(self.body, request)  # PNG encoding is CPU work
        data = await self._http.request("POST", "/v1/messages", timeout_s, body)
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise self._http.malformed("reply has no content list")
        parts: list[str] = []
        for block in blocks:
            if not isinstance(block, dict):
                raise self._http.malformed("reply has a content block that is not an object")
            if block.get("type") == "text":
                text = block.get("text")
                if not isinstance(text, str):
                    raise self._http.malformed("reply has a text block without text")
                parts.append(text)
        usage = data.get("usage")
        tokens_in = int_or_none(usage.get("input_tokens")) if isinstance(usage, dict) else None
        tokens_out = int_or_none(usage.get("output_tokens")) if isinstance(usage, dict) else None
        model = str(data.get("model") or "")
        if data.get("stop_reason") == "refusal":
            return Reply(text="", tokens_in=tokens_in, tokens_out=tokens_out, platform_refusal=True, model=model)
        return Reply(text="".join(parts), tokens_in=tokens_in, tokens_out=tokens_out, model=model)

    async def close(self) -> None:
        await self._http.close()


@register_adapter("anthropic")
def create_anthropic_adapter(config: AnthropicEndpoint) -> AnthropicAdapter:
    return AnthropicAdapter(config)

