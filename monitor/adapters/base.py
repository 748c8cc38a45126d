"""The endpoint adapter interface: one request in, one reply (or a classified error) out.

Adapters know nothing about scoring, storage or metrics. They turn a probe request into the endpoint's wire
format and classify every failure into an :class:`ErrorKind`, so the runner can retry the retryable ones and
store the rest as infrastructure errors (never as answers).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from monitor.adapters.scrub import scrub


class ErrorKind(str, enum.Enum):
    """Why a request produced no answer. Stored with the sample and used as a metric outcome."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, DNS, unavailable
    SERVER = "server_error"  # 5xx / INTERNAL
    RATE_LIMITED = "rate_limited"  # 429 / RESOURCE_EXHAUSTED
    MALFORMED = "malformed_reply"  # reply does not have the expected shape
    CLIENT = "client_error"  # 4xx / INVALID_ARGUMENT: our request is wrong for this endpoint
    AUTH = "auth_error"  # credentials missing or rejected
    CANCELLED = "cancelled"

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE


_RETRYABLE = frozenset({ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.SERVER, ErrorKind.RATE_LIMITED})


class AdapterError(Exception):
    """A request that produced no usable answer. ``message`` must never contain secrets or the prompt: adapters
    scrub what a server sent with its endpoint's secrets; anything still looking like a key is removed here too."""

    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None) -> None:
        message = scrub(message, limit=None)
        super().__init__(f"{kind.value}: {message}")
        self.kind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind.retryable


@dataclass(frozen=True)
class ProbeRequest:
    """What the runner asks an endpoint. ``image`` is None or anything ``numpy.asarray`` turns into an RGB uint8
    array of shape (H, W, 3): the runner passes a :class:`monitor.images.SuiteImage`, whose shipped PNG bytes
    adapters that send PNG may send as they are (``SuiteImage.fits``)."""

    prompt: str
    image: object | None = None  # numpy.ndarray; typed loosely so this module does not import numpy
    max_tokens: int = 128
    request_id: str = ""


@dataclass(frozen=True)
class Reply:
    text: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    # the platform's own safety filter blocked the answer (e.g. Gemini's finishReason SAFETY): neither an error
    # nor an answer of the model; stored with outcome "platform_refusal" and not scored
    platform_refusal: bool = False
    # which model answered, as the reply says (vendor APIs): model name and a build fingerprint, e.g. OpenAI's
    # system_fingerprint; folded into the canary digest of model-change detection
    model: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class ModelIdentity:
    """Which model answered: exported as ``trust_model_info`` and stored with every run."""

    model: str
    version: str = ""
    fingerprint: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # where it was read: "model" (the endpoint's route describing one model), "list" (its list of models),
    # "replies" (the model and build the replies name, monitor.identity); "" when not said
    source: str = ""


class Adapter(Protocol):
    """An endpoint. Instances are created once per endpoint and shared by all runs of it."""

    endpoint: str

    async def identity(self) -> ModelIdentity:
        """Read the model's name/version from the endpoint's own description of it (its model route, else its
        list of models: ``source`` says which); raises AdapterError when neither answers. A retryable error
        means the endpoint is unreachable now; any other means it has no route that describes the model, and
        monitor.identity falls back to what the replies say."""
        ...

    async def generate(self, request: ProbeRequest, *, timeout_s: float) -> Reply:
        """Send one request; raises AdapterError (classified) on any failure."""
        ...

    async def close(self) -> None: ...
