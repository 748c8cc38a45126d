"""Property-based: generated YAML configs (real structure with random types, random keys, random values:
inf, nan, huge, negative, unicode) either load or fail with a ConfigError whose every line names its place;
``config check`` answers 0 or 2 with a message, never a traceback. Deterministic (derandomize) for CI."""

from __future__ import annotations

import contextlib
import io
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import main
from monitor.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent.parent
MAX_EXAMPLES = 300  # load_config + config check in-process: ~10 s on a 2-core machine
CLI_EXAMPLES = 12  # config check as a subprocess: ~0.6 s each

text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=100),
    st.integers(),
    st.sampled_from([0, -1, 2**63, 10**30, -(10**30)]),
    st.floats(),  # inf, -inf, nan, subnormals, huge
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -0.0, 0.5, 12.0]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text,
                    st.sampled_from(["yes", "no", "on", "true", "30s", "15m", "1h", "500ms", "1d", "-5s", "1e9s",
                                     "10000d", "soon", ".inf", "all", "T.1", "S.4", "safety", "http://",
                                     "http://exa mple.com:99999/v1", "127.0.0.1:8001", "x:0", "ünïcødé", "\x00",
                                     "é" * 300]))
anything = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.one_of(text, st.integers()), inner,
                                                                         max_size=3)), max_leaves=8)

DURATIONS = st.one_of(st.sampled_from(["30s", "15m", "1h", "500ms", "2d", 5, 0.25]), anything)
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "concurrency": st.integers(1, 1024), "timeout": DURATIONS, "max_tokens": st.integers(1, 8192),
    "interval": DURATIONS, "misfire_grace": DURATIONS, "run_on_start": st.booleans(), "cron": st.just("0 * * * *"),
    "temperature": st.floats(0, 1), "budget_usd": st.floats(0.5, 100), "image_max_side": st.integers(16, 4096),
    "max_attempts": st.integers(1, 10), "backoff_initial": DURATIONS, "backoff_max": DURATIONS,
    "per_task": st.integers(1, 50), "input_per_million": st.floats(0, 10), "output_per_million": st.floats(0, 10),
    "min_scored_samples": st.integers(1, 50), "max_error_share": st.floats(0, 1), "max_score_age": DURATIONS,
    "max_samples_per_task": st.integers(1, 50), "profile": st.sampled_from(["default", "multitrust"]),
    "tasks": st.sampled_from([["T.1"], ["S.4", "P.6"], "all"]), "judge": st.sampled_from(["a", "b", "nope"]),
    "min_effect": st.floats(0.01, 0.5), "false_alarm_runs": st.integers(10, 10**6), "windows": st.just([1, 2]),
    "gate_alpha": st.floats(0.01, 0.5), "enabled": st.booleans(), "reference_runs": st.integers(1, 500),
    "max_queued_runs": st.integers(1, 1000), "grpc_listen": st.just("127.0.0.1:50051"),
    "url": st.sampled_from(["127.0.0.1:8001", "triton:8001", "sqlite:///var/x.db", "[::1]:8001"]),
    "base_url": st.sampled_from(["http://127.0.0.1:9/v1", "https://api.example.com/v1"]),
    "model": st.sampled_from(["m", "llava"]), "name": st.sampled_from(["a", "b", "c-1"]),
    "preset": st.sampled_from(["python-backend", "vllm", "trtllm", "generate", "custom"]),
    "protocol": st.sampled_from(["grpc", "http"]), "retention": DURATIONS, "max_age": DURATIONS,
    "resume": st.booleans(), "max_resumes": st.integers(1, 100),
}
SECTIONS = {
    "store": ["url", "retention"],
    "server": ["grpc_listen", "http_listen", "max_queued_runs", "auth"],
    "suite": ["tasks", "min_scored_samples", "max_error_share", "max_score_age", "profile", "max_samples_per_task",
              "judge"],
    "regression": ["enabled", "false_alarm_runs", "min_effect", "min_paired", "reference_runs", "windows",
                   "gate_alpha"],
    "recovery": ["resume", "max_age", "max_resumes"],
}
ENDPOINT = ["name", "concurrency", "timeout", "max_tokens", "budget_usd", "tasks", "url", "base_url", "model",
            "preset", "protocol", "temperature", "image_max_side"]
NESTED = {"schedule": ["interval", "cron", "run_on_start", "misfire_grace"],
          "retries": ["max_attempts", "backoff_initial", "backoff_max"], "sampling": ["per_task"],
          "pricing": ["input_per_million", "output_per_million"], "model_check": ["interval"]}


def _value(field: str) -> st.SearchStrategy[Any]:
    good = GOOD.get(field)
    return anything if good is None else st.one_of(good, good, good, anything)  # mostly right, sometimes anything


def _mapping(fields: list[str]) -> st.SearchStrategy[dict[Any, Any]]:
    known = st.fixed_dictionaries({}, optional={f: _value(f) for f in fields})
    extra = st.dictionaries(st.one_of(text, st.integers()), anything, max_size=1)
    return st.builds(lambda k, e, use_extra: {**k, **e} if use_extra else k, known, extra,
                     st.integers(0, 9).map(lambda n: n == 0))


def _endpoint() -> st.SearchStrategy[Any]:
    nested = st.fixed_dictionaries({}, optional={k: st.one_of(_mapping(v), anything) for k, v in NESTED.items()})
    kind = st.sampled_from(["openai", "triton", "anthropic", "gemini", "hf-local", "tritonn", None])
    return st.one_of(st.builds(lambda base, n, k: {**base, **n, "kind": k} if k else {**base, **n},
                               _mapping(ENDPOINT), nested, kind), anything)


def _configs() -> st.SearchStrategy[Any]:
    sections = st.fixed_dictionaries({}, optional={
        **{name: st.one_of(_mapping(fields), _mapping(fields), anything) for name, fields in SECTIONS.items()},
        "endpoints": st.one_of(st.lists(_endpoint(), max_size=3), anything),
        "slo": st.one_of(st.dictionaries(st.sampled_from(["safety", "privacy", "honesty"]), numbers, max_size=2),
                         anything),
    })
    return st.one_of(sections, sections, sections, anything)


def _located(line: str, path: Path, data: Any) -> bool:
    """The line is ``FILE: LOCATION: message`` with LOCATION a place in the file: a key path starting at one of
    the file's top-level keys, '(top level)', or a YAML line and column; or a whole-file message."""
    if not line.startswith(f"{path}: "):
        return False
    rest = line.removeprefix(f"{path}: ")
    if rest.startswith("(top level): ") or re.match(r"line \d+, column \d+: ", rest):
        return True
    if rest.startswith("the file is empty: "):
        return data is None
    return isinstance(data, dict) and any(rest.startswith(f"{key}: ") or rest.startswith(f"{key}.")
                                          for key in map(str, data))


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=False)


def test_generated_configs_load_or_name_every_problem() -> None:
    outcomes = {"loaded": 0, "refused": 0}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"

        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(data=_configs())
        def check(data: Any) -> None:
            path.write_text(_dump(data), encoding="utf-8")
            try:
                config = load_config(path)
            except ConfigError as exc:
                outcomes["refused"] += 1
                assert exc.lines and all(_located(line, path, data) for line in exc.lines), exc.lines
                expected_out, expected_rc = "\n".join(exc.lines) + "\n", 2
            else:
                outcomes["loaded"] += 1
                assert isinstance(config, Config)
                expected_out, expected_rc = "ok\n", 0
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(["config", "check", str(path)])
            assert (rc, out.getvalue()) == (expected_rc, expected_out)

        check()
    # recorded in docs/reliability.md; both outcomes must be reached, or the generator tests nothing
    print(f"hypothesis: {sum(outcomes.values())} generated configs, {outcomes}")
    assert sum(outcomes.values()) >= MAX_EXAMPLES
    assert outcomes["loaded"] >= 20 and outcomes["refused"] >= 100, outcomes


def test_generated_configs_through_the_real_cli() -> None:
    seen = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"

        @settings(max_examples=CLI_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(data=_configs())
        def check(data: Any) -> None:
            path.write_text(_dump(data), encoding="utf-8")
            proc = subprocess.run([sys.executable, "-m", "monitor.cli", "config", "check", str(path)],
                                  capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
            seen.append(proc.returncode)
            assert proc.returncode in (0, 2), proc.stderr
            assert "Traceback" not in proc.stderr and proc.stdout, proc.stderr
            assert proc.stdout == "ok\n" if proc.returncode == 0 else all(
                _located(line, path, data) for line in proc.stdout.splitlines())

        check()
    assert len(seen) >= CLI_EXAMPLES


@given(raw=st.binary(max_size=200))
@settings(max_examples=150, derandomize=True, deadline=None, database=None)
def test_arbitrary_bytes_never_escape_as_another_exception(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_bytes(raw)
        try:
            load_config(path)
        except ConfigError as exc:
            assert exc.lines and all(line.startswith(f"{path}: ") for line in exc.lines)
