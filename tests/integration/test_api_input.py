"""Bad input to the gRPC API over real gRPC: oversized fields, echoed input, request bodies that are not
protobuf, and property-based requests (hypothesis) to every method. Every reply is OK or a proper status code
whose detail names the field; never UNKNOWN or INTERNAL, never a traceback in the log."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.api.limits import ECHO_CHARS, MAX_DETAIL, MAX_ITEMS, MAX_TEXT
from monitor.api.stubs import load
from tests.monitor.api.served import Records, Served, served

pb2, pb2_grpc = load()
SERVICE = pb2.DESCRIPTOR.services_by_name["TrustMonitor"]
PROPER = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
          grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.RESOURCE_EXHAUSTED}
# words by which a detail names a field of the request
NAMES = {"endpoint": ("endpoint",), "tasks": ("task",), "run_id": ("run",), "limit": ("limit",),
         "candidate_run_id": ("run", "candidate"), "baseline_run_id": ("run", "baseline", "reference"),
         "alpha": ("alpha",), "min_effect": ("min_effect",)}
EXAMPLES = 80
CASES: dict[str, int] = {}


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("input"), max_queued_runs=3) as s:
        yield s


@pytest.fixture(scope="module")
def channel(monitor: Served) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(monitor.grpc_addr) as ch:
        yield ch


@pytest.fixture(scope="module")
def run_ids(channel: grpc.Channel) -> list[str]:
    """Ids of stored runs, for the generated requests to hit: one cancelled, one held at the endpoint's gate."""
    stub = pb2_grpc.TrustMonitorStub(channel)
    done = stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["S.4"]))
    stub.CancelRun(pb2.CancelRunRequest(run_id=done.id))
    held = stub.StartRun(pb2.StartRunRequest(endpoint="demo"))
    return [done.id, held.id]


def _raw(channel: grpc.Channel, method: Any) -> Any:
    path = f"/{SERVICE.full_name}/{method.name}"
    if method.server_streaming:
        return channel.unary_stream(path, request_serializer=None, response_deserializer=None)
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


def _call(channel: grpc.Channel, method: Any, body: bytes) -> tuple[grpc.StatusCode, str]:
    """Send ``body`` as the request of ``method``; (status, detail). A stream counts as OK once it yields."""
    try:
        if method.server_streaming:
            stream = _raw(channel, method)(body, timeout=20)
            next(iter(stream))
            stream.cancel()
        else:
            _raw(channel, method)(body, timeout=20)
    except grpc.RpcError as exc:
        return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""


def _detail_ok(code: grpc.StatusCode, detail: str, message: Any) -> bool:
    if code == grpc.StatusCode.OK:
        return True
    words = [w for f in message.DESCRIPTOR.fields for w in NAMES.get(f.name, (f.name,))]
    return 0 < len(detail) <= MAX_DETAIL + 1 and any(w in detail for w in words)


def test_oversized_fields_are_refused_by_name(channel: grpc.Channel) -> None:
    stub = pb2_grpc.TrustMonitorStub(channel)
    with pytest.raises(grpc.RpcError) as info:
        stub.StartRun(pb2.StartRunRequest(endpoint="x" * 12_000))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == f"endpoint: at most {MAX_TEXT} characters (got 12000)"
    with pytest.raises(grpc.RpcError) as info:
        stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["T.1"] * (MAX_ITEMS + 1)))
    assert info.value.details() == f"tasks: at most {MAX_ITEMS} entries (got {MAX_ITEMS + 1})"
    with pytest.raises(grpc.RpcError) as info:
        stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=["T.1", "y" * 500]))
    assert info.value.details() == f"tasks[1]: at most {MAX_TEXT} characters (got 500)"
    with pytest.raises(grpc.RpcError) as info:
        stub.CompareRuns(pb2.CompareRunsRequest(candidate_run_id="a", alpha=float("nan")))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "alpha" in str(info.value.details())


def test_echoed_input_is_clipped(channel: grpc.Channel) -> None:
    stub = pb2_grpc.TrustMonitorStub(channel)
    name = "é" * MAX_TEXT  # within the bound, so it reaches the lookup and is echoed
    with pytest.raises(grpc.RpcError) as info:
        stub.StartRun(pb2.StartRunRequest(endpoint=name))
    detail = str(info.value.details())
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert detail == f"unknown endpoint {'é' * ECHO_CHARS + '…'!r}"
    # unknown tasks: the first five, each clipped, and how many more
    with pytest.raises(grpc.RpcError) as info:
        stub.StartRun(pb2.StartRunRequest(endpoint="demo", tasks=[f"{i:03d}" + "z" * 120 for i in range(200)]))
    detail = str(info.value.details())
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    first = repr("000" + "z" * (ECHO_CHARS - 3) + "…")
    assert detail.startswith(f"unknown task(s) {first}, ") and " and 195 more; known: T.1" in detail
    assert len(detail) < MAX_DETAIL
    with pytest.raises(grpc.RpcError) as info:
        stub.CompareRuns(pb2.CompareRunsRequest(candidate_run_id="c" * MAX_TEXT))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert info.value.details() == f"unknown candidate run {'c' * ECHO_CHARS + '…'!r}"


def test_a_body_that_is_not_protobuf_is_invalid_argument(channel: grpc.Channel) -> None:
    truncated = b"\x0a\x05ab"  # field 1, 5 bytes long, but only 2 follow: no message parses this
    with Records() as logs:
        for method in SERVICE.methods:
            code, detail = _call(channel, method, truncated)
            assert code == grpc.StatusCode.INVALID_ARGUMENT, method.name
            assert detail == f"request is not a valid {method.input_type.full_name}"
        code, detail = _call(channel, SERVICE.methods_by_name["StartRun"], b"\x0a\x02\xff\xfe")  # not UTF-8
        assert (code, detail) == (grpc.StatusCode.INVALID_ARGUMENT, "request is not a valid "
                                  "trust_monitor.v1.StartRunRequest")
        code, detail = _call(channel, SERVICE.methods_by_name["GetRun"], b"\x0a\x80\x80\x40" + b"a" * (1 << 20))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED  # over grpc.max_receive_message_length (1 MiB)
    warnings = [r for r in logs.records if r.name == "monitor.api.server"]
    assert len(warnings) == len(SERVICE.methods) + 1
    assert all(r.levelname == "WARNING" and "is not a valid" in r.getMessage() for r in warnings)
    assert not logs.tracebacks() and not [r for r in logs.records if r.levelname in ("ERROR", "CRITICAL")]


# -- property-based -------------------------------------------------------------------------------------------
def _text(ids: list[str]) -> st.SearchStrategy[str]:
    valid = ["demo", "T.1", "S.4", *ids]
    return st.one_of(
        st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(valid),  # weighted: reach the handlers
        st.sampled_from(["", "0" * 32, "demo\x00", "DEMO", " demo", "../etc/passwd", "'; DROP TABLE runs; --"]),
        st.text(max_size=40),
        st.text(min_size=MAX_TEXT - 2, max_size=MAX_TEXT + 2),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    )


def _field(field: Any, ids: list[str]) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_STRING:
        one: st.SearchStrategy[Any] = _text(ids)
    elif field.type == FieldDescriptor.TYPE_INT32:
        one = st.one_of(st.sampled_from([0, -1, 1, 500, 501, 2**31 - 1, -(2**31)]),
                        st.integers(-(2**31), 2**31 - 1))
    elif field.type == FieldDescriptor.TYPE_DOUBLE:
        one = st.one_of(st.sampled_from([0.0, 0.05, 0.999, 1.0, -0.0, -1.0, 1e308]), st.floats())
    else:  # pragma: no cover - the request messages hold nothing else
        raise AssertionError(f"no strategy for {field.full_name}")
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return st.one_of(st.lists(st.sampled_from(["T.1", "S.4"]), max_size=3), st.lists(one, max_size=8),
                         st.lists(st.sampled_from(["T.1", "S.4", "X.9", ""]), min_size=MAX_ITEMS - 1,
                                  max_size=MAX_ITEMS + 3))
    return one


def _request(method: Any, ids: list[str]) -> st.SearchStrategy[Any]:
    cls = getattr(pb2, method.input_type.name)
    fields = {f.name: _field(f, ids) for f in method.input_type.fields}
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


METHODS = [m for m in SERVICE.methods if m.input_type.fields]


@pytest.mark.parametrize("name", [m.name for m in METHODS])
def test_generated_requests_get_proper_status_codes(name: str, channel: grpc.Channel, run_ids: list[str]) -> None:
    method = SERVICE.methods_by_name[name]
    seen: list[tuple[grpc.StatusCode, str]] = []

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_request(method, run_ids))
    def check(request: Any) -> None:
        code, detail = _call(channel, method, request.SerializeToString())
        seen.append((code, detail))
        assert code in PROPER, (code, detail)
        assert _detail_ok(code, detail, request), (code, detail)

    with Records() as logs:
        check()
    CASES[name] = len(seen)
    assert len(seen) >= EXAMPLES // 2
    assert not logs.tracebacks(), logs.text()
    assert not [r for r in logs.records if r.levelname in ("ERROR", "CRITICAL")], logs.text()
    _record(name, seen)


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None)
@given(body=st.binary(max_size=200))
def test_random_bytes_never_get_unknown(body: bytes, channel: grpc.Channel) -> None:
    for method in (SERVICE.methods_by_name["StartRun"], SERVICE.methods_by_name["GetRun"]):
        code, _ = _call(channel, method, body)
        assert code in PROPER, code
    CASES["random bytes x2"] = CASES.get("random bytes x2", 0) + 1


def _record(name: str, seen: list[tuple[grpc.StatusCode, str]]) -> None:
    """Counts per method and status, for docs/reliability.md (printed with -s, or to $TM_API_CASES)."""
    counts: dict[str, int] = {}
    for code, _ in seen:
        counts[code.name] = counts.get(code.name, 0) + 1
    line = f"{name}: {len(seen)} cases " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(line)
    out = os.environ.get("TM_API_CASES")
    if out:
        with Path(out).open("a") as f:
            f.write(line + "\n")
