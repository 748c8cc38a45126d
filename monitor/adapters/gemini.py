"""Adapter for Google's Gemini API ``generateContent`` (or any server speaking it).

Wire format (Gemini API reference, "models.generateContent"): ``POST {base_url}/models/{model}:generateContent``
with the header ``x-goog-api-key`` and the body ``{"contents": [{"role": "user", "parts": [{"inline_data":
{"mime_type": "image/png", "data": ...}}, {"text": ...}]}], "generationConfig": {"temperature",
"maxOutputTokens"}}`` (the image part first, as Google's prompting guide recommends for single-image prompts; none
for text-only probes). The reply's ``candidates[0].content.parts[*].text``, joined, is the answer (thought
summaries excluded); ``usageMetadata.promptTokenCount``/``candidatesTokenCount`` count tokens.

A safety block is a *platform refusal* — its own outcome, neither an error nor an answer of the model: either the
prompt was blocked (``promptFeedback.blockReason``, no candidates) or the answer was (``candidates[0].finishReason``
``SAFETY``, ``PROHIBITED_CONTENT``, ``BLOCKLIST``, ``SPII`` or ``IMAGE_SAFETY``).

Errors come as ``{"error": {"code", "message", "status", "details"}}`` with the HTTP status: 429
``RESOURCE_EXHAUSTED`` is retried after ``Retry-After`` or the ``google.rpc.RetryInfo`` ``retryDelay``; 500/503
(``INTERNAL``, ``UNAVAILABLE``) are retried; 504 ``DEADLINE_EXCEEDED`` counts as a timeout; 401/403
(``UNAUTHENTICATED``, ``PERMISSION_DENIED``) and a 400 rejecting the key (``API key not valid``,
``API_KEY_INVALID``) fail at once as credential errors; other 4xx are our request's fault.

The model is identified by ``GET {base_url}/models/{model}`` (``name``, ``version``, ``displayName``), or, on a
server without that route, by its entry in the list ``GET {base_url}/models`` (``tunedModels`` for a tuned model;
paged by ``pageToken``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
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
    from monitor.config import GeminiEndpoint

# finishReason values meaning the platform's filters withheld the answer
SAFETY_FINISH_REASONS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_STATUS_KIND = {
    "RESOURCE_EXHAUSTED": ErrorKind.RATE_LIMITED,
    "UNAUTHENTICATED": ErrorKind.AUTH,
    "PERMISSION_DENIED": ErrorKind.AUTH,
    "DEADLINE_EXCEEDED": ErrorKind.TIMEOUT,
    "INTERNAL": ErrorKind.SERVER,
    "UNAVAILABLE": ErrorKind.SERVER,
}


def _retry_delay(error: dict[str, Any] | None) -> float | None:
    """The ``retryDelay`` of a ``google.rpc.RetryInfo`` detail (a protobuf Duration such as "37s")."""
    details = error.get("details") if error is not None else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _key_rejected(error: dict[str, Any], message: str) -> bool:
    if "api key not valid" in message.lower() or "api key expired" in message.lower():
        return True
    details = error.get("details")
    return any(isinstance(d, dict) and str(d.get("reason", "")).startswith("API_KEY_")
               for d in (details if isinstance(details, list) else []))


def classify_error(status: int, raw: bytes, headers: Mapping[str, str]) -> HttpFailure:
    """A Google API error reply → kind, the server's message and the wait it asked for."""
    error = json_error_object(raw)
    gstatus = str(error.get("status", "")) if error is not None else ""
    message = str(error.get("message", "")) if error is not None else raw_detail(raw)
    detail = f"{gstatus}: {message}" if gstatus else message
    kind = _STATUS_KIND.get(gstatus, classify_http(status))
    if status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status in (401, 403):
        kind = ErrorKind.AUTH
    elif status == 400 and error is not None and _key_rejected(error, message):
        kind = ErrorKind.AUTH
    retry_after = None
    if kind.retryable:
        retry_after = retry_after_header(headers)
        if retry_after is None:
            retry_after = _retry_delay(error)
    return HttpFailure(kind, detail, retry_after)


def _resource(model: str) -> str:
    """``gemini-2.5-flash`` → ``models/gemini-2.5-flash``; a full resource name (``tunedModels/x``) as given."""
    return model if "/" in model else f"models/{model}"


class GeminiAdapter:
    def __init__(self, config: GeminiEndpoint) -> None:
        self.config = config
        self.endpoint = config.name
        self._where = f"gemini endpoint {config.name!r} ({config.base_url}, model {config.model!r})"
        self._http = JsonHttpClient(self._where, config.base_url, self._headers, self._secrets, classify_error)

    def _headers(self) -> dict[str, str]:
        headers = {name: ref.reveal() for name, ref in self.config.headers.items()}
        headers["x-goog-api-key"] = self.config.api_key.reveal()
        headers["Content-Type"] = "application/json"
        return headers

    def _secrets(self) -> list[str]:
        return [self.config.api_key.reveal(), *(ref.reveal() for ref in self.config.headers.values())]

    async def identity(self) -> ModelIdentity:
        return await described(self._where, [("model", self._described), ("list", self._listed)])

    async def _described(self) -> ModelIdentity:
        data = await self._http.request("GET", f"/{_resource(self.config.model)}", self.config.timeout)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise self._http.malformed("model description has no name")
        return self._identity_of(data)

    async def _listed(self) -> ModelIdentity:
        resource = _resource(self.config.model)
        collection = resource.split("/", 1)[0]

        async def page(token: str) -> Page:
            query = f"&pageToken={quote(token, safe='')}" if token else ""
            data = await self._http.request("GET", f"/{collection}?pageSize=1000{query}", self.config.timeout)
            entries = data.get(collection) if isinstance(data, dict) else None
            if not isinstance(entries, list):
                return None, ""
            following = data.get("nextPageToken")
            return entries, following if isinstance(following, str) else ""

        return self._identity_of(await listed(self._where, page, lambda e: e.get("name") == resource))

    def _identity_of(self, data: dict[str, Any]) -> ModelIdentity:
        described_ = {key: str(data.get(key, "")) for key in ("name", "version", "displayName")}
        basis = json.dumps(described_, sort_keys=True)
        return ModelIdentity(model=described_["name"].removeprefix("models/"), version=described_["version"],
                             fingerprint=hashlib.sha256(basis.encode()).hexdigest()[:16],
                             extra={"display_name": described_["displayName"]})

    def body(self, request: ProbeRequest) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if request.image is not None:
            data = png_base64(request.image, self.config.image_max_side)
            parts.append({"inline_data": {"mime_type": "image/png", "data": data}})
        parts.append({"text": request.prompt})
        return {"contents": [{"role": "user", "parts": parts}],
                "generationConfig": {"temperature": self.config.temperature,
                                     "maxOutputTokens": min(request.max_tokens, self.config.max_tokens)}}

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        body = await asyncio.to_thread(self.body, request)  # PNG encoding is CPU work
        data = await self._http.request("POST", f"/{_resource(self.config.model)}:generateContent", timeout_s, body)
        if not isinstance(data, dict):
            raise self._http.malformed("reply is not an object")
        usage = data.get("usageMetadata")
        tokens_in = int_or_none(usage.get("promptTokenCount")) if isinstance(usage, dict) else None
        tokens_out = int_or_none(usage.get("candidatesTokenCount")) if isinstance(usage, dict) else None
        model = str(data.get("modelVersion") or "")
        blocked = Reply(text="", tokens_in=tokens_in, tokens_out=tokens_out, platform_refusal=True, model=model)
        feedback = data.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            return blocked  # the prompt itself was blocked: no candidates
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
            raise self._http.malformed("reply has no candidates")
        candidate = candidates[0]
        finish = candidate.get("finishReason")
        if finish in SAFETY_FINISH_REASONS:
            return blocked
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if parts is None and finish == "MAX_TOKENS":
            parts = []  # the whole output budget went to thinking: an empty (cut-off) answer
        if not isinstance(parts, list):
            raise self._http.malformed(f"candidate has no content parts (finishReason {finish!r})")
        texts: list[str] = []
        for part in parts:
            if not isinstance(part, dict):
                raise self._http.malformed("candidate has a part that is not an object")
            text = part.get("text")
            if isinstance(text, str) and not part.get("thought"):
                texts.append(text)
        return Reply(text="".join(texts), tokens_in=tokens_in, tokens_out=tokens_out, model=model)

    async def close(self) -> None:
        await self._http.close()


@register_adapter("gemini")
def create_gemini_adapter(config: GeminiEndpoint) -> GeminiAdapter:
    return GeminiAdapter(config)
