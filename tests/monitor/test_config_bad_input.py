"""Bad config input: every case ends in a ConfigError naming the field (and ``config check`` exit 2 with it),
never a traceback, a hang or a silently converted value."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError, model_validator

from monitor.cli import main
from monitor.config import (
    MAX_DURATION_S,
    MAX_SECRET_FILE_BYTES,
    Config,
    ConfigError,
    Duration,
    SecretRef,
    Strict,
    load_config,
    parse_duration,
)

OPENAI = "  - {name: a, kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m"
TRITON = "  - {name: t, kind: triton, url: '127.0.0.1:8001', model: m"


def _check(tmp_path: Path, text: str) -> list[str]:
    """The lines of the ConfigError for ``text`` (without the file name), after checking config check agrees."""
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert all(line.startswith(f"{path}: ") for line in info.value.lines)
    return [line.removeprefix(f"{path}: ") for line in info.value.lines]


# (config text, a line that must be among the errors)
NUMBERS = [
    # 1. durations and numbers: finite, positive, bounded
    (f"endpoints:\n{OPENAI}, timeout: .inf}}", "endpoints.0.timeout: duration must be finite and at most 366d"),
    (f"endpoints:\n{OPENAI}, timeout: -.inf}}", "endpoints.0.timeout: duration must be positive"),
    (f"endpoints:\n{OPENAI}, timeout: .nan}}", "endpoints.0.timeout: duration must be a number of seconds, not NaN"),
    (f"endpoints:\n{OPENAI}, timeout: 2d}}", "endpoints.0.timeout: duration must be at most 1d"),
    (f"endpoints:\n{OPENAI}, timeout: 86401}}", "endpoints.0.timeout: duration must be at most 1d"),
    (f"endpoints:\n{OPENAI}, timeout: 0}}", "endpoints.0.timeout: duration must be positive"),
    (f"endpoints:\n{OPENAI}, timeout: 1{'0' * 400}}}",
     "endpoints.0.timeout: duration must be finite and at most 366d"),
    (f"endpoints:\n{OPENAI}, timeout: '1{'0' * 400}s'}}",
     "endpoints.0.timeout: duration must be finite and at most 366d"),
    (f"endpoints:\n{OPENAI}, retries: {{backoff_max: 2h}}}}", "endpoints.0.retries.backoff_max: duration must be "
     "at most 1h"),
    (f"endpoints:\n{OPENAI}, retries: {{backoff_initial: .nan}}}}",
     "endpoints.0.retries.backoff_initial: duration must be a number of seconds, not NaN"),
    (f"endpoints:\n{OPENAI}, schedule: {{interval: .inf}}}}",
     "endpoints.0.schedule.interval: duration must be finite and at most 366d"),
    (f"endpoints:\n{OPENAI}, schedule: {{interval: 400d}}}}",
     "endpoints.0.schedule.interval: duration must be finite and at most 366d"),
    (f"endpoints:\n{OPENAI}, schedule: {{misfire_grace: -5s}}}}",
     "endpoints.0.schedule.misfire_grace: invalid duration '-5s': expected a number with a unit, such as '30s', "
     "'15m', '1h'"),
    (f"endpoints:\n{OPENAI}, model_check: {{interval: .nan}}}}",
     "endpoints.0.model_check.interval: duration must be a number of seconds, not NaN"),
    ("suite: {max_score_age: .inf}", "suite.max_score_age: duration must be finite and at most 366d"),
    ("store: {retention: .inf}", "store.retention: duration must be finite and at most 366d"),
    ("recovery: {max_age: .nan}", "recovery.max_age: duration must be a number of seconds, not NaN"),
    (f"endpoints:\n{OPENAI}, temperature: .nan}}",
     "endpoints.0.temperature: Input should be a finite number (.inf and .nan are not accepted)"),
    (f"endpoints:\n{OPENAI}, pricing: {{input_per_million: .inf, output_per_million: 1}}}}",
     "endpoints.0.pricing.input_per_million: Input should be a finite number (.inf and .nan are not accepted)"),
    (f"endpoints:\n{OPENAI}, pricing: {{input_per_million: 1, output_per_million: 1}}, budget_usd: .inf}}",
     "endpoints.0.budget_usd: Input should be a finite number (.inf and .nan are not accepted)"),
    ("slo: {safety: .nan}", "slo.safety: Input should be a finite number (.inf and .nan are not accepted)"),
    ("regression: {min_effect: .nan}",
     "regression.min_effect: Input should be a finite number (.inf and .nan are not accepted)"),
    ("suite: {max_error_share: -.inf}",
     "suite.max_error_share: Input should be a finite number (.inf and .nan are not accepted)"),
    (f"endpoints:\n{OPENAI}, sampling: {{per_task: {10**30}}}}}",
     "endpoints.0.sampling.per_task: Input should be less than or equal to 1000000"),
    (f"suite: {{min_scored_samples: {10**7}}}", "suite.min_scored_samples: Input should be less than or equal to "
     "1000000"),
    (f"endpoints:\n{OPENAI}, image_max_side: 100000}}",
     "endpoints.0.image_max_side: Input should be less than or equal to 16384"),
]

TYPES = [
    # 4. strict types: no silent conversion
    (f"endpoints:\n{OPENAI}, concurrency: true}}",
     "endpoints.0.concurrency: Input should be a valid integer, not a boolean (true)"),
    (f"endpoints:\n{OPENAI}, max_tokens: 12.0}}",
     "endpoints.0.max_tokens: Input should be a valid integer, not a number with a fraction (12.0)"),
    (f"endpoints:\n{OPENAI}, max_tokens: '12'}}", "endpoints.0.max_tokens: Input should be a valid integer, "
     "not a string"),
    (f"endpoints:\n{OPENAI}, schedule: {{run_on_start: 'yes'}}}}",
     "endpoints.0.schedule.run_on_start: Input should be a valid boolean, not a string"),
    (f"endpoints:\n{OPENAI}, schedule: {{run_on_start: 1}}}}",
     "endpoints.0.schedule.run_on_start: Input should be a valid boolean, not an integer (1)"),
    (f"endpoints:\n{OPENAI}, temperature: '0.5'}}",
     "endpoints.0.temperature: Input should be a valid number, not a string"),
    (f"endpoints:\n{OPENAI}, temperature: true}}",
     "endpoints.0.temperature: Input should be a valid number, not a boolean (true)"),
    ("server: {max_queued_runs: 8.5}",
     "server.max_queued_runs: Input should be a valid integer, not a number with a fraction (8.5)"),
    ("regression: {enabled: 'false'}", "regression.enabled: Input should be a valid boolean, not a string"),
    ("regression: {windows: [1, 2.0]}",
     "regression.windows.1: Input should be a valid integer, not a number with a fraction (2.0)"),
    (f"endpoints:\n{OPENAI}, model: 5}}", "endpoints.0.model: Input should be a valid string, not an integer (5)"),
    (f"endpoints:\n{OPENAI}, timeout: true}}", "endpoints.0.timeout: expected a duration such as '30s', '15m' or "
     "'1h'"),
    ("suite: {official_data: 5}", "suite.official_data: Input should be an instance of Path, not an integer (5)"),
]

URLS = [
    # 3. URLs and addresses: scheme, host, port
    ("http://", "no host"),
    ("http://exa mple.com:99999/v1", "spaces or control characters"),
    ("http://example.com:99999/v1", "the port must be a number from 1 to 65535"),
    ("http://example.com:0/v1", "the port must be a number from 1 to 65535"),
    ("http://example.com:http/v1", "the port must be a number from 1 to 65535"),
    ("ftp://example.com/v1", "expected http:// or https://"),
    ("example.com/v1", "expected http:// or https://"),
    ("http:/example.com/v1", "expected http:// or https://"),
    ("http://exa$mple.com/v1", "a host name holds only letters"),
    ("http://example..com/v1", "a host name holds only letters"),
    ("http://[::zz]:80/v1", "IPv6"),
    ("http://bücher.example/v1", "a host name must be ASCII"),
    ("http://example.com/v1?x=1", "an API root has no query"),
    ("http://example.com/v1#top", "an API root has no query"),
    ("http://example.com/v1\t", "spaces or control characters"),
]


@pytest.mark.parametrize(("text", "line"), NUMBERS + TYPES, ids=[t[1].split(":")[0] + f"-{i}"
                                                                for i, t in enumerate(NUMBERS + TYPES)])
def test_bad_numbers_and_types_are_refused(tmp_path: Path, text: str, line: str) -> None:
    assert line in _check(tmp_path, text)


@pytest.mark.parametrize(("url", "why"), URLS, ids=[u for u, _ in URLS])
@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_bad_base_urls_are_refused(tmp_path: Path, kind: str, url: str, why: str) -> None:
    key = ", api_key: {env: HOME}" if kind != "openai" else ""
    lines = _check(tmp_path, f"endpoints:\n  - {{name: a, kind: {kind}, base_url: '{url}', model: m{key}}}\n")
    assert len(lines) == 1 and lines[0].startswith("endpoints.0.base_url: ") and why in lines[0], lines


@pytest.mark.parametrize(("url", "why"), [
    ("exa mple:99999", "spaces or control characters"),
    ("triton:99999", "the port must be a number from 1 to 65535"),
    ("triton:0", "the port must be a number from 1 to 65535"),
    ("triton", "expected host:port"),
    ("http://triton:8001", "a host name holds only letters"),
    ("tri/ton:8001", "a host name holds only letters"),
    ("[::1]:8001x", "the port must be a number"),
])
def test_bad_triton_urls_are_refused(tmp_path: Path, url: str, why: str) -> None:
    lines = _check(tmp_path, f"endpoints:\n  - {{name: t, kind: triton, url: '{url}', model: m}}\n")
    assert len(lines) == 1 and lines[0].startswith("endpoints.0.url: ") and why in lines[0], lines


@pytest.mark.parametrize(("text", "why"), [
    ("store: {url: 'postgresql://u:pw@db:5432/x'}", "store.url: store url carries a password"),
    ("store: {url: 'postgresql://u@db:99999/x'}", "store.url: store url: the port must be a number from 1 to 65535"),
    ("store: {url: 'postgresql://u@db:5x/x'}", "store.url: store url is not a valid SQLAlchemy URL"),
    ("store: {url: 'postgresql://u@d b:5432/x'}", "store.url: store url: spaces or control characters"),
    ("server: {grpc_listen: '127.0.0.1:70000'}", "server.grpc_listen: invalid listen address"),
    ("server: {http_listen: 'local host:80'}", "server.http_listen: invalid listen address"),
])
def test_bad_other_urls_are_refused(tmp_path: Path, text: str, why: str) -> None:
    lines = _check(tmp_path, text)
    assert any(line.startswith(why) for line in lines), lines


def test_url_with_credentials_is_refused_without_echoing_them(tmp_path: Path) -> None:
    lines = _check(tmp_path, f"endpoints:\n{OPENAI.replace('127.0.0.1', 'user:hunter2@127.0.0.1')}}}\n")
    assert lines == ["endpoints.0.base_url: the URL carries credentials (user@ or user:password@): give them as a "
                     "secret reference (api_key or headers) instead"]
    assert "hunter2" not in _check(tmp_path, "store: {url: 'postgresql://u:hunter2@db/x'}")[0]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1", "https://api.openai.com/v1/", "http://[::1]:8000/v1",
                                 "http://vllm_1.internal:8000", "HTTPS://Example.COM", "http://h.example./v1"])
def test_good_urls_still_load(tmp_path: Path, url: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"endpoints:\n  - {{name: a, kind: openai, base_url: '{url}', model: m}}\n")
    assert load_config(path).endpoints[0].base_url == url.rstrip("/")  # type: ignore[union-attr]


def test_what_yaml_cannot_say_still_converts(tmp_path: Path) -> None:
    """Strings for paths and durations, ints for floats: the conversions the config relies on."""
    secret = tmp_path / "key"
    secret.write_text("k\n")
    path = tmp_path / "c.yaml"
    path.write_text(f"suite: {{max_score_age: 2d, official_data: null}}\n"
                    f"endpoints:\n{OPENAI}, timeout: 30s, temperature: 1, api_key: {{file: '{secret}'}},\n"
                    "      schedule: {interval: 90, misfire_grace: 500ms}, budget_usd: 3,\n"
                    "      pricing: {input_per_million: 2, output_per_million: 4.5}}\n")
    cfg = load_config(path)
    ep = cfg.endpoints[0]
    assert ep.timeout == 30.0 and ep.temperature == 1.0 and cfg.suite.max_score_age == 2 * 86400  # type: ignore
    assert ep.schedule is not None and ep.schedule.interval == 90.0 and ep.schedule.misfire_grace == 0.5
    assert ep.api_key.file == secret and ep.api_key.reveal() == "k"  # type: ignore[union-attr]
    assert isinstance(ep.api_key.file, Path)  # type: ignore[union-attr]
    # the same from Python: a str for a Path field
    assert Config.model_validate({"suite": {"official_data": None}}).suite.official_data is None
    assert SecretRef.model_validate({"file": str(secret)}).file == secret


class _Later(Strict):
    """A section as someone might add it later, with no validator of its own: the base's rules still hold."""

    count: int = 1
    ratio: float = 0.5
    flag: bool = False
    wait: Duration = 1.0
    folder: Path | None = None
    sizes: list[int] = []

    @model_validator(mode="after")
    def _cross(self) -> _Later:
        if self.flag and self.count > 1:
            raise ValueError("flag needs count 1")
        return self


@pytest.mark.parametrize(("data", "errors"), [
    ({"count": 10**20}, [("count",), "number too large (at most 9,007,199,254,740,992 in magnitude)"]),
    ({"sizes": [1, -(10**20)]}, [("sizes",), "number too large (at most 9,007,199,254,740,992 in magnitude)"]),
    ({"count": True}, [("count",), "Input should be a valid integer"]),
    ({"count": 2.0}, [("count",), "Input should be a valid integer"]),
    ({"ratio": float("nan")}, [("ratio",), "Input should be a finite number"]),
    ({"ratio": "0.5"}, [("ratio",), "Input should be a valid number"]),
    ({"flag": "yes"}, [("flag",), "Input should be a valid boolean"]),
    ({"wait": float("inf")}, [("wait",), "duration must be finite and at most 366d"]),
    ({"wait": "1y"}, [("wait",), "invalid duration '1y': expected a number with a unit, such as '30s', '15m', '1h'"]),
    ({"flag": True, "count": 2, "ratio": "x"},
     [("ratio",), "Input should be a valid number", (), "flag needs count 1"]),
])
def test_rules_cover_fields_added_later(data: dict[str, object], errors: list[object]) -> None:
    with pytest.raises(ValidationError) as info:
        _Later.model_validate(data)
    got: list[object] = []
    for err in info.value.errors():
        got += [err["loc"], str(err["msg"]).removeprefix("Value error, ")]
    assert got == errors


def test_later_fields_convert_what_yaml_cannot_say() -> None:
    later = _Later.model_validate({"wait": "15m", "folder": "/tmp", "ratio": 1})
    assert later.wait == 900.0 and later.folder == Path("/tmp") and later.ratio == 1.0


@pytest.mark.parametrize(("value", "message"), [
    (float("inf"), "duration must be finite"), (float("nan"), "not NaN"), (-1, "positive"), (0, "positive"),
    (10**400, "duration must be finite"), (MAX_DURATION_S + 1, "at most 366d"), (True, "expected a duration"),
    ([1], "expected a duration"), ("1e9s", "invalid duration"), ("-5s", "invalid duration"),
])
def test_parse_duration_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)


# -- 2. the file itself ------------------------------------------------------------------------------------
def test_file_level_problems(tmp_path: Path) -> None:
    cases: dict[str, tuple[bytes | None, str]] = {
        "latin1.yaml": ("endpoints: []\n# caf\xe9\n".encode("latin-1"),
                        "line 2, column 6: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
        "utf16.yaml": ("server: {}\n".encode("utf-16"), "line 1, column 1: not UTF-8 text (byte 0xff); save the "
                       "file as UTF-8"),
        "empty.yaml": (b"", "the file is empty: no endpoints configured (see docs/CONFIGURATION.md)"),
        "comments.yaml": (b"# nothing here\n\n", "the file is empty: no endpoints configured (see "
                          "docs/CONFIGURATION.md)"),
        "list.yaml": (b"- store\n- server\n", "(top level): expected a mapping of sections (store, server, suite, "
                      "endpoints, ...), not a list"),
        "scalar.yaml": (b"42\n", "(top level): expected a mapping of sections (store, server, suite, endpoints, "
                        "...), not an integer (42)"),
        "string.yaml": (b"hello\n", "(top level): expected a mapping of sections (store, server, suite, endpoints, "
                        "...), not a string"),
        "syntax.yaml": (b"endpoints:\n  - name: a\n   kind: openai\n",
                        "line 3, column 4: invalid YAML: expected <block end>, but found '<block mapping start>'"),
        "tab.yaml": (b"server:\n\tgrpc_listen: x\n", "line 2, column 1: invalid YAML: found character '\\t' that "
                     "cannot start any token"),
        "python.yaml": (b"x: !!python/object/apply:os.system [ls]\n",
                        "line 1, column 4: invalid YAML: could not determine a constructor for the tag "
                        "'tag:yaml.org,2002:python/object/apply:os.system'"),
        "deep.yaml": (b"[" * 5000 + b"]" * 5000, "invalid YAML: nested too deeply"),
        "dir": (None, "cannot read: Is a directory (give the config file itself)"),
        "missing.yaml": (None, "cannot read: No such file or directory"),
    }
    (tmp_path / "dir").mkdir()
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert info.value.lines == [f"{path}: {expected}"], name
    billion = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    (tmp_path / "laughs.yaml").write_text(billion)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "laughs.yaml")
    assert info.value.lines == [f"{tmp_path / 'laughs.yaml'}: (top level): more than 100,000 values once YAML "
                                "aliases are expanded: not a config"]
    (tmp_path / "huge.yaml").write_bytes(b"# " + b"x" * (5 * 1024 * 1024))
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        load_config(tmp_path / "huge.yaml")


def test_config_file_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)  # nobody writes: reading it would block forever
    with pytest.raises(ConfigError) as info:
        load_config(fifo)
    assert info.value.lines == [f"{fifo}: cannot read: not a regular file (a FIFO, device or socket)"]


@pytest.mark.parametrize(("make", "message"), [
    ("fifo", "is not a regular file (a FIFO, device, socket or directory)"),
    ("dir", "is not a regular file (a FIFO, device, socket or directory)"),
    ("device", "is not a regular file (a FIFO, device, socket or directory)"),
    ("big", f"is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB"),
    ("latin1", "is not UTF-8 text"),
    ("empty", "is empty"),
    ("missing", "No such file or directory"),
])
def test_secret_files_that_are_not_small_regular_utf8_files_are_refused(tmp_path: Path, make: str,
                                                                        message: str) -> None:
    secret = tmp_path / "secret"
    if make == "fifo":
        os.mkfifo(secret)
    elif make == "dir":
        secret.mkdir()
    elif make == "device":
        secret = Path("/dev/zero")  # endless: reading it whole would never finish
    elif make == "big":
        secret.write_text("s3cr3t" * (MAX_SECRET_FILE_BYTES // 6 + 1))
    elif make == "latin1":
        secret.write_bytes(b"s3cr3t\xe9")
    elif make == "empty":
        secret.write_text("  \n")
    lines = _check(tmp_path, f"server: {{auth: {{tokens: [{{file: '{secret}'}}]}}}}\n")
    assert len(lines) == 1 and lines[0].startswith("server.auth.tokens.0: ") and message in lines[0], lines
    assert "s3cr3t" not in lines[0]


def test_tls_files_that_are_fifos_are_refused_at_once(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    os.mkfifo(cert)  # nobody writes: reading it would block forever
    lines = _check(tmp_path, f"server: {{tls: {{cert: '{cert}', key: '{cert}'}}}}\n")
    assert len(lines) == 1 and lines[0].startswith("server.tls: ") and "is not a regular file" in lines[0], lines


# -- 5. every error at once ---------------------------------------------------------------------------------
def test_cross_field_checks_report_alongside_field_errors(tmp_path: Path) -> None:
    lines = _check(tmp_path, """\
        suite: {judge: nope, max_error_share: 2}
        endpoints:
          - {name: a, kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m, timeout: soon,
             budget_usd: 5, schedule: {interval: 5m, cron: '0 * * * *', run_on_start: 'yes'}}
          - {name: a, kind: triton, url: '127.0.0.1:8001', model: m, preset: generate, protocol: grpc,
             concurrency: 0}
        """)
    assert sorted(lines) == sorted([
        "suite.max_error_share: Input should be less than or equal to 1",
        "endpoints.0.timeout: invalid duration 'soon': expected a number with a unit, such as '30s', '15m', '1h'",
        "endpoints.0.schedule.run_on_start: Input should be a valid boolean, not a string",
        "endpoints.0.schedule: give either 'interval' or 'cron', not both",
        "endpoints.0: budget_usd needs a pricing table (pricing.input_per_million, output_per_million)",
        "endpoints.1.concurrency: Input should be greater than or equal to 1",
        "endpoints.1: preset 'generate' is Triton's HTTP generate extension: use protocol 'http'",
        "(top level): duplicate endpoint name 'a'",
        "(top level): suite.judge names 'nope', which is not a configured endpoint",
    ])


def test_every_failing_cross_field_check_is_reported_when_fields_are_fine(tmp_path: Path) -> None:
    lines = _check(tmp_path, f"suite: {{judge: nope}}\nendpoints:\n{OPENAI}}}\n{OPENAI}}}\n")
    assert lines == ["(top level): duplicate endpoint name 'a'",
                     "(top level): suite.judge names 'nope', which is not a configured endpoint"]


def test_cross_field_check_that_cannot_run_is_skipped_not_crashed(tmp_path: Path) -> None:
    # the endpoint has no name at all: the duplicate/judge checks cannot see it, and say nothing wrong
    lines = _check(tmp_path, "suite: {judge: a}\nendpoints:\n  - {kind: openai, base_url: 'http://h:1', model: m}\n")
    assert lines == ["endpoints.0.name: field required"]


def test_config_check_prints_every_error_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"suite: {{judge: nope}}\nendpoints:\n{OPENAI}, timeout: .inf, concurrency: true}}\n")
    assert main(["config", "check", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{path}: endpoints.0.concurrency: Input should be a valid integer, not a boolean (true)",
                   f"{path}: endpoints.0.timeout: duration must be finite and at most 366d",
                   f"{path}: (top level): suite.judge names 'nope', which is not a configured endpoint"]


def test_config_check_warns_when_no_endpoint_is_configured(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server: {max_queued_runs: 4}\n")
    assert main(["config", "check", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "ok\n"
    assert captured.err == (f"{path}: warning: no endpoints configured: the monitor would serve its API and pages "
                            "but probe nothing\n")
