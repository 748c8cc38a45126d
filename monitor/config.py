"""The service configuration: one YAML file, validated into pydantic models that reject unknown keys.

Secrets are never written inline: a :class:`SecretRef` names an environment variable or a file, and is resolved
(and checked to exist) when the file is loaded, so ``config check`` catches a missing secret before deploy.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_NAME = re.compile(r"^[a-z0-9]([a-z0-9_.-]{0,62}[a-z0-9])?$")
_HOSTPORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def parse_duration(value: Any) -> float:
    """'90s', '15m', '1h', '500ms' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '15m' or '1h'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"invalid duration {value!r}: expected a number with a unit, such as '30s', '15m', '1h'")
        seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds <= 0:
        raise ValueError("duration must be positive")
    return seconds


Duration = Annotated[float, Field(description="seconds; YAML accepts '30s', '15m', '1h', '500ms'")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
            try:
                value = self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"cannot read secret file {self.file}: {exc.strerror}") from None
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
    backoff_initial: Duration = 0.5
    backoff_max: Duration = 10.0

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

    per_task: int = Field(ge=1, description="samples of each task (in every variant) per scheduled run")


class PricingConfig(Strict):
    """USD per million tokens, as the endpoint reports tokens (trust_cost_usd_total)."""

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


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
    timeout: Duration = Field(60.0, description="per-request timeout")
    retries: RetryConfig = RetryConfig()
    max_tokens: int = Field(128, ge=1, le=8192)
    sampling: SamplingConfig | None = Field(None, description="subset per scheduled run; default: all samples")
    pricing: PricingConfig | None = None
    budget_usd: float | None = Field(None, gt=0, description="stop a run cleanly once it has cost this much")
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
        if not _HOSTPORT.match(v):
            raise ValueError(f"invalid address {v!r}: expected host:port")
        return v

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
        return _http_url(v)


class OpenAIEndpoint(HttpApiEndpoint):
    """Any OpenAI-compatible chat-completions server (OpenAI, vLLM, TGI, Triton's OpenAI frontend)."""

    kind: Literal["openai"]
    base_url: str = Field(description="API root, e.g. https://api.openai.com/v1 or http://vllm:8000/v1")
    model: str
    api_key: SecretRef | None = Field(None, description="sent as 'Authorization: Bearer <key>'")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra HTTP headers")
    image_max_side: int | None = Field(None, ge=16, description="downscale images to this longest side; default: as is")
    temperature: float = Field(0.0, ge=0.0, le=2.0)


class AnthropicEndpoint(HttpApiEndpoint):
    """Anthropic's Messages API (or a server speaking it)."""

    kind: Literal["anthropic"]
    base_url: str = Field("https://api.anthropic.com", description="API root; /v1/messages is appended")
    model: str
    api_key: SecretRef = Field(description="sent as the x-api-key header")
    anthropic_version: str = Field("2023-06-01", description="the anthropic-version header")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra HTTP headers")
    image_max_side: int | None = Field(None, ge=16, description="downscale images to this longest side")
    temperature: float = Field(0.0, ge=0.0, le=1.0)


class GeminiEndpoint(HttpApiEndpoint):
    """Google's Gemini API generateContent (or a server speaking it)."""

    kind: Literal["gemini"]
    base_url: str = Field("https://generativelanguage.googleapis.com/v1beta",
                          description="API root; /models/{model}:generateContent is appended")
    model: str
    api_key: SecretRef = Field(description="sent as the x-goog-api-key header")
    headers: dict[str, SecretRef] = Field(default_factory=dict, description="extra HTTP headers")
    image_max_side: int | None = Field(None, ge=16, description="downscale images to this longest side")
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


def _http_url(v: str) -> str:
    if not (v.startswith("http://") or v.startswith("https://")):
        raise ValueError(f"invalid base_url {v!r}: expected http:// or https://")
    return v.rstrip("/")


EndpointConfig = Annotated[
    TritonEndpoint | OpenAIEndpoint | AnthropicEndpoint | GeminiEndpoint | HFLocalEndpoint,
    Field(discriminator="kind"),
]


class StoreConfig(Strict):
    url: str = Field("sqlite:///var/trust-monitor.db", description="SQLAlchemy URL: sqlite:///PATH or postgresql://…")
    password: SecretRef | None = Field(None, description="for PostgreSQL; never put it in the URL")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not (v.startswith("sqlite:///") or v.startswith("postgresql")):
            raise ValueError("store url must start with 'sqlite:///' or 'postgresql'")
        return v


class AuthConfig(Strict):
    tokens: list[SecretRef] = Field(default_factory=list, description="bearer tokens accepted by the gRPC API")


class ServerConfig(Strict):
    grpc_listen: str = "127.0.0.1:50051"
    http_listen: str = "127.0.0.1:9464"
    auth: AuthConfig = AuthConfig()
    max_queued_runs: int = Field(8, ge=1, le=1000, description="on-demand runs waiting; more get RESOURCE_EXHAUSTED")

    @field_validator("grpc_listen", "http_listen")
    @classmethod
    def _addr(cls, v: str) -> str:
        m = _HOSTPORT.match(v)
        if not m or int(m.group(2)) > 65535:
            raise ValueError(f"invalid listen address {v!r}: expected host:port")
        return v


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
    min_scored_samples: int = Field(10, ge=1, description="fewer scored samples than this: the task has no score")
    max_error_share: float = Field(
        0.2, ge=0, le=1, description="a run with a larger share of failed requests ends 'degraded'; a task with a "
        "larger share is not published from that run"
    )
    max_score_age: Duration = Field(
        604800.0, description="sub-dimension, dimension and overall scores use task scores no older than this"
    )
    profile: Literal["default", "multitrust"] = "default"
    max_samples_per_task: int | None = Field(None, ge=1, description="cap per task and variant; default all")
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


class Config(Strict):
    store: StoreConfig = StoreConfig()
    server: ServerConfig = ServerConfig()
    suite: SuiteConfig = SuiteConfig()
    regression: RegressionConfig = RegressionConfig()
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
        if self.suite.judge is not None and self.suite.judge not in seen:
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


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "field required"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def load_config(path: str | Path) -> Config:
    """Load and validate a config file; raises ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}: {where}invalid YAML: {problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: (top level): expected a mapping of sections"])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {_loc(err['loc'], data)}: {_message(err)}" for err in exc.errors()]
        raise ConfigError(lines) from None
