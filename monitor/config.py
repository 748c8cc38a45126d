"""The service configuration: one YAML file, validated into pydantic models that reject unknown keys.

Secrets are never written inline: a :class:`SecretRef` names an environment variable or a file, and is resolved
(and checked to exist) when the file is loaded, so ``config check`` catches a missing secret before deploy.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_NAME = re.compile(r"^[a-z0-9]([a-z0-9_.-]{0,62}[a-z0-9])?$")


# Every duration in the config is at most this long (a year and a day): a longer one is a typo, and a larger
# number of seconds overflows timers and datetimes. Fields with a tighter sensible limit say so (DurationAtMost).
MAX_DURATION_S = 366 * 86400.0
# Every integer in the config is at most this large in magnitude (a 64-bit store column, a JSON number).
MAX_INT = 2**53


def _format_seconds(seconds: float) -> str:
    for unit in ("d", "h", "m", "s"):
        if seconds >= _UNIT_S[unit] and seconds % _UNIT_S[unit] == 0:
            return f"{seconds / _UNIT_S[unit]:g}{unit}"
    return f"{seconds:g}s"


def parse_duration(value: Any) -> float:
    """'90s', '15m', '1h', '500ms' or a number of seconds -> seconds: finite, positive, at most MAX_DURATION_S."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("expected a duration such as '30s', '15m' or '1h'")
    try:
        if isinstance(value, int | float):
            seconds = float(value)
        else:
            match = _DURATION.match(value)
            if not match:
                raise ValueError(
                    f"invalid duration {value!r}: expected a number with a unit, such as '30s', '15m', '1h'")
            seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    except OverflowError:
        seconds = math.inf
    if math.isnan(seconds):
        raise ValueError("duration must be a number of seconds, not NaN")
    if seconds <= 0:
        raise ValueError("duration must be positive")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration must be finite and at most {_format_seconds(MAX_DURATION_S)}")
    return seconds


def _at_most(limit: float) -> Any:
    def check(seconds: float) -> float:
        if seconds > limit:
            raise ValueError(f"duration must be at most {_format_seconds(limit)}")
        return seconds

    return AfterValidator(check)


# A duration field: YAML gives '30s', '15m', '1h', '500ms', '1d' or a number of seconds; parsed, checked
# (finite, > 0, <= MAX_DURATION_S) by the type itself, so a new field declared ``Duration`` needs no validator.
Duration = Annotated[float, BeforeValidator(parse_duration),
                     Field(description="seconds; YAML accepts '30s', '15m', '1h', '500ms'")]


# Durations with a tighter bound than MAX_DURATION_S.
RequestTimeout = Annotated[Duration, _at_most(86400.0)]
BackoffDelay = Annotated[Duration, _at_most(3600.0)]

_HOST_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def _check_host(host: str) -> str | None:
    """Why ``host`` (a DNS name, an IPv4 address or a bracketed IPv6 address) is not one, or None."""
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "not a valid IPv6 address"
        return None
    if not host:
        return "no host"
    if not host.isascii():
        return "a host name must be ASCII (write an international name in its xn-- form)"
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return "a host name holds only letters, digits, '-', '_' and '.'-separated labels"
    return None


def _check_port(text: str, allow_zero: bool = False) -> str | None:
    low = 0 if allow_zero else 1
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= 65535:
        return f"the port must be a number from {low} to 65535"
    return None


def host_port(v: str, allow_port_zero: bool = False) -> str:
    """Check a ``host:port`` address (no scheme); returns it unchanged or raises ValueError saying why not."""
    if any(c.isspace() or not c.isprintable() for c in v):
        raise ValueError(f"invalid address {v!r}: spaces or control characters")
    host, sep, port = v.rpartition(":")
    if not sep or not port:
        raise ValueError(f"invalid address {v!r}: expected host:port")
    problem = _check_host(host) or _check_port(port, allow_port_zero)
    if problem:
        raise ValueError(f"invalid address {v!r}: {problem}")
    return v


def http_url(v: str) -> str:
    """Check an http(s) URL (an API root); returns it without a trailing '/' or raises ValueError saying why not.

    A URL carrying credentials (user:password@) is refused without echoing it: use a secret reference.
    """
    try:
        parts = urlsplit(v) if v.isprintable() else None
    except ValueError as exc:  # e.g. a bracketed host that is no IPv6 address
        raise ValueError(f"invalid URL {v!r}: {exc}") from None
    if parts is not None and ("@" in parts.netloc):
        raise ValueError("the URL carries credentials (user@ or user:password@): give them as a secret reference "
                         "(api_key or headers) instead")
    if any(c.isspace() or not c.isprintable() for c in v):
        raise ValueError(f"invalid URL {v!r}: spaces or control characters")
    assert parts is not None
    if parts.scheme.lower() not in ("http", "https") or not v.lower().startswith(f"{parts.scheme.lower()}://"):
        raise ValueError(f"invalid URL {v!r}: expected http:// or https://")
    netloc = parts.netloc
    if netloc.startswith("["):
        host, _, rest = netloc.partition("]")
        host += "]"
        if rest and not rest.startswith(":"):
            raise ValueError(f"invalid URL {v!r}: unexpected text after the IPv6 address")
        port = rest[1:] if rest else None
    else:
        host, sep, port_text = netloc.partition(":")
        port = port_text if sep else None
    problem = _check_host(host) or (_check_port(port) if port is not None else None)
    if problem:
        raise ValueError(f"invalid URL {v!r}: {problem}")
    if parts.query or parts.fragment or v.endswith(("?", "#")):
        raise ValueError(f"invalid URL {v!r}: an API root has no query ('?') or fragment ('#')")
    return v.rstrip("/")


# Types for new fields: the check comes with the type.
HostPort = Annotated[str, AfterValidator(host_port)]
HttpUrl = Annotated[str, AfterValidator(http_url)]


def _over_items(annotation: Any, value: Any, convert: Callable[[Any, Any], Any]) -> Any:
    """``value`` with ``convert(item_annotation, item)`` applied to each item when ``annotation`` is a list or
    dict type and ``value`` one; otherwise ``value`` itself."""
    origin = get_origin(annotation)
    if origin is list and isinstance(value, list):
        (item,) = get_args(annotation) or (Any,)
        return [convert(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, item = get_args(annotation) or (Any, Any)
        return {k: convert(item, v) for k, v in value.items()}
    return value


def _lax_input(annotation: Any, value: Any) -> Any:
    """``value`` for a strict field of ``annotation``, with the one conversion YAML cannot express: str -> Path."""
    if isinstance(value, str):
        if _annotation_has(annotation, Path):
            return Path(value)
        return value
    origin = get_origin(annotation)
    if origin is Annotated:
        return _lax_input(get_args(annotation)[0], value)
    if origin in (Union, UnionType):
        for arg in get_args(annotation):
            if get_origin(arg) in (list, dict):
                return _lax_input(arg, value)
        return value
    return _over_items(annotation, value, _lax_input)


def _annotation_has(annotation: Any, kind: type) -> bool:
    if annotation is kind:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _annotation_has(get_args(annotation)[0], kind)
    if origin in (Union, UnionType):
        return any(_annotation_has(a, kind) for a in get_args(annotation))
    return False


def _too_large(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > MAX_INT
    if isinstance(value, list | tuple):
        return any(_too_large(v) for v in value)
    if isinstance(value, dict):
        return any(_too_large(v) for v in value.values())
    return False


class Strict(BaseModel):
    """Base of every config model; what it says holds for every field of every subclass, present and future.

    - Unknown keys are errors; models are immutable.
    - Types are strict: a bool is not an int, 12.0 is not an int, "yes" is not a bool, "3" is not a number. The
      only conversions are the ones YAML cannot express: a string for a ``Path`` and a string for a ``Duration``.
    - Floats are finite (``.inf``/``.nan`` are refused) and integers at most ``MAX_INT`` in magnitude.
    - A field error does not hide the model's cross-field checks (its ``model_validator(mode="after")``
      methods): they are run on what was given, as far as they can, and their errors are reported too.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _every_error(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(data, dict):
            data = {k: _lax_input(cls.model_fields[k].annotation, v) if k in cls.model_fields else v
                    for k, v in data.items()}
        # pydantic runs the "after" checks outside this wrapper and stops at the first that fails: run them all
        # here, on the validated model or, when a field failed, on the input as given
        try:
            model = handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            if not isinstance(data, dict):
                raise
            known = {(e["loc"], e["msg"]) for e in errors}
            extra = [m for m in _cross_check_errors(cls, data) if ((), f"Value error, {m}") not in known]
            if not extra:
                raise
            line_errors: list[Any] = [{k: e[k] for k in ("type", "loc", "input", "ctx") if k in e} for e in errors]
            line_errors += [{"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(m)}}
                            for m in extra]
            raise ValidationError.from_exception_data(exc.title, line_errors) from None
        failed = _run_after_checks(cls, model)
        if failed:
            raise ValidationError.from_exception_data(cls.__name__, [
                {"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(m)}} for m in failed])
        return model

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _not_too_large(cls, value: Any) -> Any:
        if _too_large(value):
            raise ValueError(f"number too large (at most {MAX_INT:,} in magnitude)")
        return value


def _cross_check_errors(model: type[Strict], data: dict[str, Any]) -> list[str]:
    """The messages of ``model``'s cross-field checks run on ``data`` as given (after a field failed).

    The checks see the input built leniently (nested models constructed without validation); a check that
    cannot run on such input (a field missing or of the wrong type) is skipped: only a ValueError it raises
    on its own counts.
    """
    try:
        instance = _lenient_model(model, data)
    except Exception:  # input too broken to build anything from
        return []
    return _run_after_checks(model, instance)


def _run_after_checks(model: type[Strict], instance: Strict) -> list[str]:
    """The messages of every cross-field check of ``model`` that fails on ``instance``; the rest are skipped."""
    messages = []
    for name, dec in model.__pydantic_decorators__.model_validators.items():
        if dec.info.mode != "after":
            continue
        try:
            getattr(instance, name)()
        except (ValueError, AssertionError) as exc:
            if not isinstance(exc, ValidationError):
                messages.append(str(exc))
        except Exception:  # the check cannot run on a broken input: skip it
            pass
    return messages


def _lenient(annotation: Any, value: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _lenient(get_args(annotation)[0], value)
    if origin in (Union, UnionType):
        members = get_args(annotation)
        if isinstance(value, dict):
            models = [m for m in members if isinstance(m, type) and issubclass(m, Strict)]
            if len(models) > 1:  # a tagged union: pick by 'kind'
                models = [m for m in models if value.get("kind") in get_args(m.model_fields["kind"].annotation)]
            if len(models) == 1:
                return _lenient_model(models[0], value)
        for m in members:
            if get_origin(m) in (list, dict):
                return _lenient(m, value)
        return value
    if isinstance(annotation, type) and issubclass(annotation, Strict) and isinstance(value, dict):
        return _lenient_model(annotation, value)
    return _over_items(annotation, value, _lenient)


def _lenient_model(model: type[Strict], data: dict[str, Any]) -> Strict:
    for name, dec in model.__pydantic_decorators__.model_validators.items():
        if dec.info.mode == "before":
            try:
                data = getattr(model, name)(data)
            except Exception:  # its error is reported by the validation itself
                pass
    if not isinstance(data, dict):
        raise TypeError("not a mapping")
    fields = {k: _lenient(model.model_fields[k].annotation, v) for k, v in data.items() if k in model.model_fields}
    return model.model_construct(**fields)


MAX_SECRET_FILE_BYTES = 64 * 1024


class _FileProblem(Exception):
    """Why a file was refused: ``kind`` is "unreadable" (``strerror`` says why), "directory", "special" (a FIFO,
    device or socket) or "too_large"."""

    def __init__(self, kind: str, strerror: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.strerror = strerror


def _read_regular_bytes(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or a _FileProblem.

    Opened without blocking and checked before reading, so a FIFO, a device or a directory is refused at once
    instead of hanging or reading forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _FileProblem("unreadable", exc.strerror or "") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _FileProblem("directory")
        if not stat.S_ISREG(info.st_mode):
            raise _FileProblem("special")
        if info.st_size > max_bytes:
            raise _FileProblem("too_large")
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise _FileProblem("unreadable", exc.strerror or "") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise _FileProblem("too_large")
    return raw


def _read_regular_file(path: Path, what: str, max_bytes: int) -> bytes:
    """:func:`_read_regular_bytes` for a file the config names: a ValueError that never includes the content."""
    try:
        return _read_regular_bytes(path, max_bytes)
    except _FileProblem as problem:
        if problem.kind == "unreadable":
            raise ValueError(f"cannot read {what} {path}: {problem.strerror}") from None
        if problem.kind == "too_large":
            raise ValueError(f"{what} {path} is larger than {max_bytes // 1024} KiB") from None
        raise ValueError(f"{what} {path} is not a regular file (a FIFO, device, socket or directory)") from None


def _read_secret_file(path: Path) -> str:
    """The stripped text of a secret file: a regular file of at most MAX_SECRET_FILE_BYTES of UTF-8."""
    raw = _read_regular_file(path, "secret file", MAX_SECRET_FILE_BYTES)
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"secret file {path} is not UTF-8 text") from None


class SecretRef(Strict):
    """A secret held outside the config: exactly one of ``env`` (variable name) or ``file`` (path)."""

    env: str | None = None
    file: Path | None = None
    _value: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _resolve(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' (environment variable name) or 'file' (path)")
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None or value == "":
                raise ValueError(f"environment variable {self.env} is not set")
        else:
            assert self.file is not None
            value = _read_secret_file(self.file)
            if not value:
                raise ValueError(f"secret file {self.file} is empty")
        self._value = value
        return self

    def reveal(self) -> str:
        """The secret's value. Call only where it is sent; never log or store the result."""
        return self._value

    def __repr__(self) -> str:  # never show the value
        where = f"env={self.env}" if self.env else f"file={self.file}"
        return f"SecretRef({where})"

    __str__ = __repr__


class RetryConfig(Strict):
    max_attempts: int = Field(3, ge=1, le=10, description="attempts per request, the first included")
    backoff_initial: BackoffDelay = 0.5
    backoff_max: BackoffDelay = 10.0

    _dur = field_validator("backoff_initial", "backoff_max", mode="before")(parse_duration)


def _slo_floors(v: dict[str, float] | None) -> dict[str, float] | None:
    if v is None:
        return None
    from probes.catalogue import Dimension

    dimensions = [d.value for d in Dimension]
    for name, floor in v.items():
        if name not in dimensions:
            raise ValueError(f"unknown dimension {name!r}: use {', '.join(dimensions)}")
        if not 0 <= floor <= 1:
            raise ValueError(f"{name}: {floor} is not a score between 0 and 1")
    return dict(v)


class ScheduleConfig(Strict):
    """When an endpoint is probed: exactly one of ``interval`` or ``cron`` (5-field crontab, UTC)."""

    interval: Duration | None = None
    cron: str | None = None
    run_on_start: bool = Field(False, description="start one run as soon as the service is up")
    misfire_grace: Duration = Field(300.0, description="how late a scheduled run may still start")

    @field_validator("interval", "misfire_grace", mode="before")
    @classmethod
    def _dur(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(v, timezone="UTC")
            except ValueError as exc:
                raise ValueError(f"invalid crontab {v!r}: {exc}") from None
        return v

    @model_validator(mode="after")
    def _one(self) -> ScheduleConfig:
        if self.interval is not None and self.cron is not None:
            raise ValueError("give either 'interval' or 'cron', not both")
        return self


class TensorSpec(Strict):
    name: str
    datatype: str

    @field_validator("datatype")
    @classmethod
    def _dtype(cls, v: str) -> str:
        allowed = {"BYTES", "UINT8", "FP32", "INT32", "INT64"}
        if v not in allowed:
            raise ValueError(f"unsupported datatype {v!r}; one of {', '.join(sorted(allowed))}")
        return v


class TritonTensors(Strict):
    """Tensor names and dtypes of the served model (the demo's Python-backend layout by default).

    With a ``preset`` other than python-backend, the fields given here override the preset's own layout; the
    ones left out keep the preset's. ``max_tokens: null`` sends no token budget tensor. An ``image`` tensor of
    datatype BYTES carries one base64-encoded PNG; any other datatype carries the raw (H, W, 3) pixels.
    """

    prompt: TensorSpec = TensorSpec(name="PROMPT", datatype="BYTES")
    image: TensorSpec | None = TensorSpec(name="IMAGE", datatype="UINT8")
    max_tokens: TensorSpec | None = TensorSpec(name="MAX_TOKENS", datatype="INT32")
    output: TensorSpec = TensorSpec(name="TEXT", datatype="BYTES")

    @model_validator(mode="after")
    def _text_tensors(self) -> TritonTensors:
        for field, spec in (("prompt", self.prompt), ("output", self.output)):
            if spec.datatype != "BYTES":
                raise ValueError(f"the {field} tensor carries text and must be BYTES, not {spec.datatype}")
        if self.max_tokens is not None and self.max_tokens.datatype not in ("INT32", "INT64"):
            raise ValueError(f"the max_tokens tensor must be INT32 or INT64, not {self.max_tokens.datatype}")
        return self


# preset -> its tensor layout (see docs/CONFIGURATION.md, "kind: triton")
TRITON_PRESET_TENSORS: dict[str, dict[str, TensorSpec | None]] = {
    "python-backend": {
        "prompt": TensorSpec(name="PROMPT", datatype="BYTES"),
        "image": TensorSpec(name="IMAGE", datatype="UINT8"),
        "max_tokens": TensorSpec(name="MAX_TOKENS", datatype="INT32"),
        "output": TensorSpec(name="TEXT", datatype="BYTES"),
    },
    "vllm": {  # max_tokens travels inside the sampling_parameters JSON
        "prompt": TensorSpec(name="text_input", datatype="BYTES"),
        "image": TensorSpec(name="image", datatype="BYTES"),
        "max_tokens": None,
        "output": TensorSpec(name="text_output", datatype="BYTES"),
    },
    "trtllm": {  # text-only ensemble unless tensors.image names the multimodal ensemble's image input
        "prompt": TensorSpec(name="text_input", datatype="BYTES"),
        "image": None,
        "max_tokens": TensorSpec(name="max_tokens", datatype="INT32"),
        "output": TensorSpec(name="text_output", datatype="BYTES"),
    },
    "generate": {  # JSON keys of the generate extension; max_tokens goes into "parameters" unless named here
        "prompt": TensorSpec(name="text_input", datatype="BYTES"),
        "image": TensorSpec(name="image", datatype="BYTES"),
        "max_tokens": None,
        "output": TensorSpec(name="text_output", datatype="BYTES"),
    },
}


class SamplingConfig(Strict):
    """Scheduled runs send a rotating, stratified subset; on-demand runs send the whole suite."""

    per_task: int = Field(ge=1, le=1_000_000, description="samples of each task (in every variant) per scheduled run")


class PricingConfig(Strict):
    """USD per million tokens, as the endpoint reports tokens (trust_cost_usd_total)."""

    input_per_million: float = Field(ge=0, le=1_000_000)
    output_per_million: float = Field(ge=0, le=1_000_000)


class ModelCheckConfig(Strict):
    """Detects a model change between runs: identity read on a cheap schedule, optionally canary answers."""

    interval: Duration | None = Field(None, description="how often to read the identity between runs")
    canary: bool = Field(False, description="also digest the answers to fixed canary prompts (temperature 0)")
    run_on_change: bool = Field(True, description="start a full run as soon as a change is seen")

    @field_validator("interval", mode="before")
    @classmethod
    def _dur(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v)


class EndpointBase(Strict):
    name: str = Field(description="label value in every metric; lower-case letters, digits, '_', '-', '.'")
    schedule: ScheduleConfig | None = None
    tasks: list[str] | None = Field(None, description="task ids to run; default: suite.tasks")
    concurrency: int = Field(4, ge=1, le=1024, description="requests in flight at once")
    requests_per_minute: int | None = Field(None, ge=1, le=1_000_000, description="a fixed request budget (the "
                                            "vendor's rate limit): requests, retries included, are spaced to stay "
                                            "within it; default none (the adaptive limit alone)")
    timeout: RequestTimeout = Field(60.0, description="per-request timeout")
    retries: RetryConfig = RetryConfig()
    max_tokens: int = Field(128, ge=1, le=8192)
    sampling: SamplingConfig | None = Field(None, description="subset per scheduled run; default: all samples")
    pricing: PricingConfig | None = None
    budget_usd: float | None = Field(None, gt=0, le=1e9, description="stop a run cleanly once it has cost this much")
    model_check: ModelCheckConfig = ModelCheckConfig()
    slo: dict[str, float] | None = Field(None, description="per-dimension score floors for this endpoint, merged "
                                         "over the top-level slo (trust_slo_target)")

    @field_validator("slo")
    @classmethod
    def _slo(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        return _slo_floors(v)

    @model_validator(mode="after")
    def _budget_needs_pricing(self) -> EndpointBase:
        if self.budget_usd is not None and self.pricing is None:
            raise ValueError("budget_usd needs a pricing table (pricing.input_per_million, output_per_million)")
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"invalid endpoint name {v!r}: use lower-case letters, digits, '_', '-', '.'")
        return v

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, v: Any) -> float:
        return parse_duration(v)

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str] | None) -> list[str] | None:
        return _known_tasks(v)


class TritonTLS(Strict):
    """TLS towards Triton (gRPC SSL or HTTPS). All files optional: none = the system's CAs, no client cert."""

    ca_file: Path | None = Field(None, description="PEM root certificate(s) that sign the server's certificate")
    cert_file: Path | None = Field(None, description="PEM client certificate (mutual TLS), with key_file")
    key_file: Path | None = Field(None, description="PEM private key of cert_file")

    @model_validator(mode="after")
    def _files(self) -> TritonTLS:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both 'cert_file' and 'key_file' (mutual TLS), or neither")
        for name in ("ca_file", "cert_file", "key_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name} {path} does not exist")
        return self


class TritonEndpoint(EndpointBase):
    """A model served by NVIDIA Triton Inference Server, over gRPC or HTTP, in one of several tensor layouts."""

    kind: Literal["triton"]
    url: str = Field(description="host:port of Triton's gRPC (or, with protocol http, HTTP) endpoint")
    model: str
    model_version: str = Field("", description="empty = the server's latest")
    preset: Literal["python-backend", "vllm", "trtllm", "generate", "custom"] = Field(
        "python-backend", description="the served model's request layout; 'custom' = the tensors mapping alone"
    )
    protocol: Literal["grpc", "http"] = Field(
        "grpc", description="gRPC (tritonclient.grpc.aio) or HTTP/REST; preset generate defaults to http"
    )
    tensors: TritonTensors = TritonTensors()
    decoupled: bool | None = Field(
        None, description="the model is decoupled (gRPC streaming is used); default: true for vllm, else false"
    )
    batch_dim: bool | None = Field(
        None, description="the model batches (max_batch_size > 0): tensors get a leading 1; default: trtllm only"
    )
    prompt_template: str | None = Field(
        None, description="wraps the prompt, e.g. 'USER: <image>\\n{prompt} ASSISTANT:'; must contain {prompt}"
    )
    tls: TritonTLS | None = Field(None, description="use TLS (gRPC SSL / HTTPS); {} = system CAs")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra gRPC metadata / HTTP headers")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return host_port(v)

    @field_validator("prompt_template")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                v.format(prompt="")
            except (KeyError, IndexError, ValueError):
                raise ValueError("prompt_template may hold only the {prompt} placeholder ({{ }} for braces)") from None
            if "{prompt}" not in v:
                raise ValueError("prompt_template must contain {prompt}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """Fill the preset's tensor layout and defaults; explicit ``tensors`` fields override it."""
        if not isinstance(data, dict):
            return data
        preset = data.get("preset", "python-backend")
        layout = TRITON_PRESET_TENSORS.get(preset) if isinstance(preset, str) else None
        given = data.get("tensors")
        if isinstance(given, TritonTensors):
            explicit: dict[str, Any] = {name: getattr(given, name) for name in given.model_fields_set}
        elif isinstance(given, dict):
            explicit = dict(given)
        elif given is None:
            explicit = {}
        else:
            return data  # pydantic reports the wrong type
        if preset == "custom" and given is None:
            raise ValueError("preset 'custom' needs a 'tensors' mapping (prompt, image, max_tokens, output)")
        if preset == "vllm" and explicit.get("max_tokens") is not None:
            raise ValueError("preset 'vllm' sends max_tokens inside the sampling_parameters JSON: "
                             "leave tensors.max_tokens out")
        out = dict(data)
        if "protocol" not in out and preset == "generate":
            out["protocol"] = "http"
        if layout is not None:
            out["tensors"] = {**layout, **explicit}
        return out

    @model_validator(mode="after")
    def _combination(self) -> TritonEndpoint:
        if self.preset == "generate":
            if self.protocol != "http":
                raise ValueError("preset 'generate' is Triton's HTTP generate extension: use protocol 'http'")
            if self.batch_dim:
                raise ValueError("preset 'generate' sends JSON values, not tensors: 'batch_dim' does not apply")
            if self.tensors.image is not None and self.tensors.image.datatype != "BYTES":
                raise ValueError("preset 'generate' sends the image as a base64 string: tensors.image must be BYTES")
        elif self.protocol == "http" and self.is_decoupled:
            raise ValueError(
                f"preset {self.preset!r} with a decoupled model needs protocol 'grpc' (streaming): Triton's HTTP "
                "infer refuses decoupled models; use preset 'generate' for HTTP"
            )
        return self

    @property
    def is_decoupled(self) -> bool:
        return self.decoupled if self.decoupled is not None else self.preset == "vllm"

    @property
    def has_batch_dim(self) -> bool:
        return self.batch_dim if self.batch_dim is not None else self.preset == "trtllm"


class HttpApiEndpoint(EndpointBase):
    """Common to the HTTP vendor APIs: a validated ``base_url`` (declared by each kind with its default)."""

    @field_validator("base_url", check_fields=False)
    @classmethod
    def _base_url(cls, v: str) -> str:
        return http_url(v)


class OpenAIEndpoint(HttpApiEndpoint):
    """Any OpenAI-compatible chat-completions server (OpenAI, vLLM, TGI, Triton's OpenAI frontend)."""

    kind: Literal["openai"]
    base_url: str = Field(description="API root, e.g. https://api.openai.com/v1 or http://vllm:8000/v1")
    model: str
    api_key: SecretRef | None = Field(None, description="sent as 'Authorization: Bearer <key>'")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra HTTP headers")
    image_max_side: int | None = Field(None, ge=16, le=16384,
                                       description="downscale images to this longest side; default: as is")
    temperature: float = Field(0.0, ge=0.0, le=2.0)


class AnthropicEndpoint(HttpApiEndpoint):
    """Anthropic's Messages API (or a server speaking it)."""

    kind: Literal["anthropic"]
    base_url: str = Field("https://api.anthropic.com", description="API root; /v1/messages is appended")
    model: str
    api_key: SecretRef = Field(description="sent as the x-api-key header")
    anthropic_version: str = Field("2023-06-01", description="the anthropic-version header")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra HTTP headers")
    image_max_side: int | None = Field(None, ge=16, le=16384, description="downscale images to this longest side")
    temperature: float = Field(0.0, ge=0.0, le=1.0)


class GeminiEndpoint(HttpApiEndpoint):
    """Google's Gemini API generateContent (or a server speaking it)."""

    kind: Literal["gemini"]
    base_url: str = Field("https://generativelanguage.googleapis.com/v1beta",
                          description="API root; /models/{model}:generateContent is appended")
    model: str
    api_key: SecretRef = Field(description="sent as the x-goog-api-key header")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra HTTP headers")
    image_max_side: int | None = Field(None, ge=16, le=16384, description="downscale images to this longest side")
    temperature: float = Field(0.0, ge=0.0, le=2.0)


class HFLocalEndpoint(EndpointBase):
    """A transformers image-text-to-text model from a local directory, run in-process."""

    kind: Literal["hf-local"]
    model_dir: Path = Field(description="directory written by save_pretrained (processor + model)")
    device: str = Field("cpu", description="torch device, e.g. cpu or cuda:0")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    queue_size: int = Field(64, ge=1, le=10000, description="requests waiting for the model; more are refused")
    threads: int | None = Field(None, ge=1, le=256, description="torch CPU threads; default torch's own")

    @field_validator("model_dir")
    @classmethod
    def _model_dir(cls, v: Path) -> Path:
        if not v.is_dir():
            raise ValueError(f"model directory {v} does not exist")
        return v


EndpointConfig = Annotated[
    TritonEndpoint | OpenAIEndpoint | AnthropicEndpoint | GeminiEndpoint | HFLocalEndpoint,
    Field(discriminator="kind"),
]


def _store_url(v: str) -> str:
    """A store URL SQLAlchemy can parse; a PostgreSQL one with a valid host and port and no password in it."""
    if any(c.isspace() or not c.isprintable() for c in v):
        raise ValueError("store url: spaces or control characters")
    if v.startswith("sqlite:///"):
        return v
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(v)
        port = url.port
    except (ArgumentError, ValueError):
        raise ValueError("store url is not a valid SQLAlchemy URL (postgresql://user@host:5432/db)") from None
    if url.password is not None:
        raise ValueError("store url carries a password: give it as store.password (a secret reference) instead")
    if url.host:
        problem = _check_host(url.host if ":" not in url.host else f"[{url.host}]")
        if problem:
            raise ValueError(f"store url: {problem}")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("store url: the port must be a number from 1 to 65535")
    return v


class StoreConfig(Strict):
    url: str = Field("sqlite:///var/trust-monitor.db", description="SQLAlchemy URL: sqlite:///PATH or postgresql://…")
    password: SecretRef | None = Field(None, description="for PostgreSQL; never put it in the URL")
    retention: Duration | None = Field(None, description="prune the per-sample rows and events of runs older "
                                       "than this (e.g. '30d'); run summaries, scores and verdicts stay; "
                                       "default: keep everything")

    @field_validator("retention", mode="before")
    @classmethod
    def _retention(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not (v.startswith("sqlite:///") or v.startswith("postgresql")):
            raise ValueError("store url must start with 'sqlite:///' or 'postgresql'")
        return _store_url(v)


_TOKEN_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


class AuthConfig(Strict):
    tokens: list[SecretRef] = Field(default_factory=list, description="bearer tokens accepted by the gRPC API")
    token_hashes: list[str] = Field(default_factory=list, repr=False, description="more accepted tokens, given "
                                    "as 'sha256:<hex digest of the token>' so that the config holds no token")
    protect_metrics: bool = Field(False, description="/metrics also needs 'Authorization: Bearer <token>'")

    @field_validator("token_hashes")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        out = [h.strip().lower() for h in v]
        for i, h in enumerate(out):
            if not _TOKEN_HASH.match(h):  # the value is not echoed: it may be a token put in the wrong place
                raise ValueError(f"entry {i} is not 'sha256:' followed by 64 hex digits (the token's SHA-256)")
        return out

    @model_validator(mode="after")
    def _metrics_need_tokens(self) -> AuthConfig:
        if self.protect_metrics and not (self.tokens or self.token_hashes):
            raise ValueError("protect_metrics needs tokens or token_hashes: nobody could scrape /metrics")
        return self


def _read_pem(path: Path, what: str) -> bytes:
    data = _read_regular_file(path, what, MAX_SECRET_FILE_BYTES)
    if b"-----BEGIN " not in data:
        raise ValueError(f"{what} {path} is not PEM (no '-----BEGIN' line)")
    return data


class ServerTLS(Strict):
    """TLS for the gRPC API, read when the config is loaded; with ``client_ca``, mutual TLS."""

    cert: Path = Field(description="PEM certificate (chain) of the server")
    key: SecretRef | Path = Field(description="PEM private key of cert: a path, or a secret ref (env or file)")
    client_ca: Path | None = Field(None, description="PEM CA certificate(s): clients must present a certificate "
                                   "signed by one (mutual TLS)")
    _pems: tuple[bytes, bytes, bytes | None] = PrivateAttr(default=(b"", b"", None))

    @model_validator(mode="after")
    def _load(self) -> ServerTLS:
        cert = _read_pem(self.cert, "certificate")
        if isinstance(self.key, SecretRef):
            key = self.key.reveal().encode()
            if b"-----BEGIN " not in key:
                raise ValueError(f"key {self.key} is not a PEM private key")
        else:
            key = _read_pem(self.key, "key")
        client_ca = _read_pem(self.client_ca, "client CA") if self.client_ca is not None else None
        self._pems = (cert, key, client_ca)
        return self

    def pems(self) -> tuple[bytes, bytes, bytes | None]:
        """(certificate chain, private key, client CA or None). The key is a secret: never log it."""
        return self._pems


class ServerConfig(Strict):
    grpc_listen: str = "127.0.0.1:50051"
    http_listen: str = "127.0.0.1:9464"
    auth: AuthConfig = AuthConfig()
    tls: ServerTLS | None = Field(None, description="serve the gRPC API over TLS (health and reflection too)")
    max_queued_runs: int = Field(8, ge=1, le=1000, description="on-demand runs waiting; more get RESOURCE_EXHAUSTED")

    @field_validator("grpc_listen", "http_listen")
    @classmethod
    def _addr(cls, v: str) -> str:
        try:
            return host_port(v, allow_port_zero=True)  # port 0: any free port (tests)
        except ValueError as exc:
            raise ValueError(f"invalid listen address: {str(exc).removeprefix('invalid address ')}") from None


def _known_tasks(ids: list[str] | None) -> list[str] | None:
    if ids is None:
        return None
    from probes.catalogue import all_tasks

    known = all_tasks()
    unknown = [t for t in ids if t not in known]
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)} (see 'trust-monitor probes list')")
    if not ids:
        raise ValueError("list at least one task (or leave the field out)")
    return ids


class SuiteConfig(Strict):
    tasks: list[str] | Literal["all"] = "all"
    min_scored_samples: int = Field(10, ge=1, le=1_000_000,
                                    description="fewer scored samples than this: the task has no score")
    max_error_share: float = Field(
        0.2, ge=0, le=1, description="a run with a larger share of failed requests ends 'degraded'; a task with a "
        "larger share is not published from that run"
    )
    max_score_age: Duration = Field(
        604800.0, description="sub-dimension, dimension and overall scores use task scores no older than this"
    )
    profile: Literal["default", "multitrust"] = "default"
    max_samples_per_task: int | None = Field(None, ge=1, le=1_000_000,
                                             description="cap per task and variant; default all")
    official_data: Path | None = Field(None, description="MMTrustEval data/ folder: run the official samples")
    judge: str | None = Field(None, description="endpoint that grades the answers of tasks with a judge prompt")

    _age = field_validator("max_score_age", mode="before")(parse_duration)

    @field_validator("official_data")
    @classmethod
    def _official(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_dir():
            raise ValueError(f"official data folder {v} does not exist")
        return v

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str] | str) -> list[str] | str:
        return v if isinstance(v, str) else (_known_tasks(v) or [])


class RegressionConfig(Strict):
    """Regression detection after every run (docs/design/regression.md)."""

    enabled: bool = Field(True, description="judge every run against its reference")
    false_alarm_runs: int = Field(
        10000, ge=10, le=10**9, description="mean runs between false alarms of an unchanged endpoint: each run's "
        "tests together are held to a false-alarm probability of 1/false_alarm_runs"
    )
    min_effect: float = Field(0.05, gt=0, lt=1, description="a drop smaller than this (0.05 = 5 points) never "
                              "counts as a regression, however certain")
    min_paired: int = Field(10, ge=1, le=10000, description="fewer paired scored samples: inconclusive")
    reference_runs: int = Field(20, ge=1, le=500, description="runs pooled into the reference")
    windows: list[int] = Field([1, 2, 4, 8], description="window lengths in runs: the run under test alone, and "
                               "with the runs just before it (evidence from new samples of rotating runs)")
    gate_alpha: float = Field(0.05, gt=0, lt=1, description="family-wise false-alarm level of 'compare' and "
                              "'run --gate'")

    @field_validator("windows")
    @classmethod
    def _windows(cls, v: list[int]) -> list[int]:
        if not v or any(w < 1 or w > 64 for w in v):
            raise ValueError("give one or more window lengths between 1 and 64 runs")
        if 1 not in v:
            raise ValueError("the windows must include 1 (the run under test alone)")
        return sorted(set(v))


class RecoveryConfig(Strict):
    """What a restart does with the runs an earlier process left unfinished (docs/reliability.md)."""

    resume: bool = Field(True, description="finish interrupted runs at start-up, sending only the items with no "
                         "stored result; off: they stay 'interrupted'")
    max_age: Duration = Field(21600.0, description="runs created longer ago than this are not resumed")
    max_resumes: int = Field(3, ge=1, le=100, description="a run resumed this often and interrupted again is left "
                             "interrupted (a crash it causes cannot loop)")

    _age = field_validator("max_age", mode="before")(parse_duration)


class DistributedConfig(Strict):
    """``mode: distributed``: runs split into shards executed by worker processes through procrastinate on the
    PostgreSQL store (docs/design/scale-out.md)."""

    shard_size: int = Field(200, ge=1, le=100_000, description="work items (task × variant × sample) per shard")
    endpoint_shards: int = Field(4, ge=1, le=256, description="shards of one endpoint that run at once, on any "
                                 "workers; the endpoint's concurrency (and requests_per_minute) is split among them, "
                                 "so the limit holds across all workers")
    worker_concurrency: int = Field(8, ge=1, le=1024, description="jobs (shards) one worker process runs at once")
    stalled_after: Duration = Field(30.0, description="a worker silent (no heartbeat) this long is taken for dead: "
                                    "its jobs are retried on other workers")
    poll_interval: Duration = Field(1.0, description="how often API replicas read run progress from the store "
                                    "(WatchRun, published scores)")

    _durations = field_validator("stalled_after", "poll_interval", mode="before")(parse_duration)

    @field_validator("stalled_after")
    @classmethod
    def _stalled(cls, v: float) -> float:
        if v < 2:
            raise ValueError("must be at least 2s (workers send a heartbeat every stalled_after / 4)")
        return v


class Config(Strict):
    mode: Literal["single", "distributed"] = Field(
        "single", description="single: one process, SQLite or PostgreSQL; distributed: API replicas and workers on "
        "PostgreSQL (serve --role api|worker|all)")
    distributed: DistributedConfig = DistributedConfig()
    store: StoreConfig = StoreConfig()
    server: ServerConfig = ServerConfig()
    suite: SuiteConfig = SuiteConfig()
    regression: RegressionConfig = RegressionConfig()
    recovery: RecoveryConfig = RecoveryConfig()
    slo: dict[str, float] = Field(default_factory=dict, description="per-dimension score floors of every endpoint, "
                                  "e.g. {safety: 0.9} (trust_slo_target; the TrustBelowSLO alert)")
    endpoints: list[EndpointConfig] = Field(default_factory=list)

    @field_validator("slo")
    @classmethod
    def _slo(cls, v: dict[str, float]) -> dict[str, float]:
        return _slo_floors(v) or {}

    def slo_of(self, endpoint: EndpointBase) -> dict[str, float]:
        """The endpoint's SLO floors: the top-level ones with its own on top."""
        return {**self.slo, **(endpoint.slo or {})}

    @model_validator(mode="after")
    def _unique(self) -> Config:
        seen: set[str] = set()
        for ep in self.endpoints:
            if ep.name in seen:
                raise ValueError(f"duplicate endpoint name {ep.name!r}")
            seen.add(ep.name)
        return self

    @model_validator(mode="after")
    def _distributed_store(self) -> Config:
        if self.mode == "distributed" and not self.store.url.startswith("postgresql"):
            raise ValueError("mode: distributed needs a PostgreSQL store (store.url: postgresql://user@host:5432/db): "
                             "it is the queue the replicas and workers share")
        if self.mode == "distributed":
            priced = [ep.name for ep in self.endpoints if ep.budget_usd is not None]
            if priced:
                raise ValueError(f"budget_usd is not enforced in mode: distributed (endpoint(s) {', '.join(priced)}):"
                                 " a run's shards are spent on several workers; remove it or use mode: single")
        return self

    @model_validator(mode="after")
    def _judge_known(self) -> Config:
        names = {ep.name for ep in self.endpoints}
        if self.suite.judge is not None and self.suite.judge not in names:
            raise ValueError(f"suite.judge names {self.suite.judge!r}, which is not a configured endpoint")
        return self

    def endpoint(self, name: str) -> EndpointConfig | None:
        return next((e for e in self.endpoints if e.name == name), None)


class ConfigError(Exception):
    """Every problem found in a config file, one ``FILE: path.to.field: message`` line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _loc(loc: tuple[int | str, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        # pydantic puts the discriminator value (e.g. 'triton') into the location of a tagged union member
        if isinstance(node, dict) and isinstance(item, str) and item not in node and node.get("kind") == item:
            continue
        parts.append(str(item))
        if isinstance(node, dict):
            node = node.get(item)
        elif isinstance(node, list) and isinstance(item, int) and item < len(node):
            node = node[item]
        else:
            node = None
    return ".".join(parts) or "(top level)"


_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number with a fraction", str: "a string",
               list: "a list", dict: "a mapping", type(None): "null"}
# strict type errors: the message says what was given instead (its type, never a string's content)
_TYPE_ERRORS = {"int_type", "float_type", "bool_type", "string_type", "int_from_float", "list_type", "dict_type",
                "model_type", "model_attributes_type", "literal_error", "path_type", "is_instance_of"}


def _given(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")
    if isinstance(value, bool | int | float) and len(repr(value)) <= 24:
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        return f"{name} ({shown})"
    return name


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "field required"
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in _TYPE_ERRORS and kind != "literal_error" and "input" in err:
        return f"{msg}, not {_given(err['input'])}"
    if kind == "finite_number":
        return f"{msg} (.inf and .nan are not accepted)"
    return msg


MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_CONFIG_VALUES = 100_000  # after YAML aliases are expanded


def _too_many_values(data: Any) -> bool:
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_CONFIG_VALUES:
            return True
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _read_config_text(path: Path) -> str:
    """The text of a config file: a regular file (or a symlink to one) of UTF-8, at most MAX_CONFIG_BYTES."""
    try:
        raw = _read_regular_bytes(path, MAX_CONFIG_BYTES)
    except _FileProblem as problem:
        reason = {
            "unreadable": f"cannot read: {problem.strerror}",
            "directory": "cannot read: Is a directory (give the config file itself)",
            "special": "cannot read: not a regular file (a FIFO, device or socket)",
            "too_large": f"the file is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB: not a config",
        }[problem.kind]
        raise ConfigError([f"{path}: {reason}"]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([f"{path}: line {line}, column {column}: not UTF-8 text (byte "
                           f"0x{raw[exc.start]:02x}); save the file as UTF-8"]) from None


def load_config(path: str | Path) -> Config:
    """Load and validate a config file; raises ConfigError listing every problem, one line each.

    Refused as a whole, with one line: a file that cannot be read, is not a regular file, is larger than
    MAX_CONFIG_BYTES or is not UTF-8; invalid YAML (with its line and column); an empty file (nothing in it
    but comments: no endpoints, no settings); a top level that is not a mapping of sections.
    """
    path = Path(path)
    text = _read_config_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}: {where}invalid YAML: {problem}"]) from None
    except RecursionError:
        raise ConfigError([f"{path}: invalid YAML: nested too deeply"]) from None
    if data is None:
        raise ConfigError([f"{path}: the file is empty: no endpoints configured (see docs/CONFIGURATION.md)"])
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: (top level): expected a mapping of sections (store, server, suite, "
                           f"endpoints, ...), not {_given(data)}"])
    if _too_many_values(data):
        raise ConfigError([f"{path}: (top level): more than {MAX_CONFIG_VALUES:,} values once YAML aliases are "
                           "expanded: not a config"])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {_loc(err['loc'], data)}: {_message(err)}" for err in exc.errors()]
        raise ConfigError(lines) from None
    except RecursionError:
        raise ConfigError([f"{path}: (top level): nested too deeply"]) from None
