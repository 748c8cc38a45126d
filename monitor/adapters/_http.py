"""Shared plumbing of the JSON-over-HTTP vendor adapters (Anthropic, Gemini).

:class:`JsonHttpClient` owns a lazily created aiohttp session and turns every transport failure into a classified
:class:`AdapterError` the same way the OpenAI adapter does: no reply in time → TIMEOUT, refused/reset → CONNECTION,
a body cut short → MALFORMED, a body that is not JSON → MALFORMED. HTTP errors (status ≥ 400) are classified by a
vendor-specific function that reads the vendor's error body; the message always names the endpoint and never
contains a secret: what the server sent back goes through :func:`monitor.adapters.scrub.scrub` (every configured
header value and key in any case or masked, and anything that looks like a key).
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from monitor.adapters.base import AdapterError, ErrorKind
from monitor.adapters.scrub import scrub
from monitor.images import SuiteImage

__all__ = [
    "HttpError",
    "HttpFailure",
    "JsonHttpClient",
    "classify_http",
    "encode_image",
    "int_or_none",
    "json_error_object",
    "png_base64",
    "raw_detail",
    "retry_after_header",
]

_MAX_DETAIL = 300
_DATA_URL_PREFIX = "data:image/png;base64,"


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


def encode_image(image: object, max_side: int | None) -> str:
    """RGB array → PNG data URL, downscaled so the longest side is at most ``max_side`` (if given). A prepared
    suite image that needs no downscaling is sent as its own PNG bytes (base64 made once)."""
    import numpy as np
    from PIL import Image

    if isinstance(image, SuiteImage) and image.fits(max_side):
        return _DATA_URL_PREFIX + image.png_base64()

    img = Image.fromarray(np.asarray(image, dtype=np.uint8), "RGB")
    if max_side is not None and max(img.size) > max_side:
        scale = max_side / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_base64(image: object, max_side: int | None) -> str:
    """RGB array → base64 PNG (no data-URL prefix), downscaled to ``max_side`` as the OpenAI adapter does."""
    if isinstance(image, SuiteImage) and image.fits(max_side):
        return image.png_base64()
    url = encode_image(image, max_side)
    assert url.startswith(_DATA_URL_PREFIX)
    return url[len(_DATA_URL_PREFIX):]


def retry_after_header(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class HttpFailure:
    """How a vendor classifies one HTTP error: the kind, the server's own words, and any wait it asked for."""

    kind: ErrorKind
    detail: str
    retry_after: float | None = None


class HttpError(AdapterError):
    """An AdapterError caused by an HTTP error status (kept, e.g. to tell a missing model (404) apart)."""

    def __init__(self, kind: ErrorKind, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(kind, message, retry_after=retry_after)
        self.status = status


# (status, raw body, response headers) -> classification
Classifier = Callable[[int, bytes, Mapping[str, str]], HttpFailure]


class JsonHttpClient:
    """JSON requests to one API root, with failures classified and secrets scrubbed from every message."""

    def __init__(self, where: str, base_url: str, headers: Callable[[], dict[str, str]],
                 secrets: Callable[[], list[str]], classify: Classifier) -> None:
        self.where = where
        self.base_url = base_url.rstrip("/")
        self._headers = headers
        self._secrets = secrets
        self._classify = classify
        self._session: aiohttp.ClientSession | None = None

    def _session_(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def scrub(self, text: str) -> str:
        """Remove every secret (in any case, masked too) and key-like token, collapse whitespace and cut to a
        loggable length (monitor.adapters.scrub)."""
        return scrub(text, self._secrets(), limit=_MAX_DETAIL)

    def malformed(self, what: str) -> AdapterError:
        return AdapterError(ErrorKind.MALFORMED, f"{self.where}: {what}")

    async def request(self, method: str, path: str, timeout_s: float, body: dict[str, Any] | None = None,
                      *, data: bytes | None = None) -> Any:
        """Send one request (``body`` as JSON, or ``data``: a JSON body already encoded) and return the decoded
        JSON reply; raises a classified AdapterError otherwise."""
        url = f"{self.base_url}{path}"
        payload = data if data is not None else (None if body is None else json.dumps(body).encode())
        headers = self._headers()
        if payload is not None and not any(name.lower() == "content-type" for name in headers):
            headers = {**headers, "Content-Type": "application/json"}
        try:
            async with self._session_().request(
                method, url, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    failure = self._classify(resp.status, raw, resp.headers)
                    what = ("credentials missing or rejected" if failure.kind is ErrorKind.AUTH
                            else "request failed")
                    raise HttpError(failure.kind,
                                    f"{self.where}: {what} [HTTP {resp.status}]: {self.scrub(failure.detail)}",
                                    status=resp.status, retry_after=failure.retry_after)
        except TimeoutError:
            raise AdapterError(ErrorKind.TIMEOUT, f"{self.where}: no reply within {timeout_s:g}s") from None
        except aiohttp.ClientPayloadError as exc:
            raise self.malformed(f"truncated reply ({type(exc).__name__})") from None
        except aiohttp.ClientConnectionError as exc:
            raise AdapterError(ErrorKind.CONNECTION, f"{self.where}: {type(exc).__name__}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise self.malformed("reply is not JSON") from None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def json_error_object(raw: bytes) -> dict[str, Any] | None:
    """The ``error`` object of a JSON error body (both Anthropic and Google nest it there), if any."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"]
    return None


def raw_detail(raw: bytes) -> str:
    """A non-JSON error body (a proxy's HTML page, say), cut short."""
    return raw[:200].decode("utf-8", "replace")


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
