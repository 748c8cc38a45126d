"""The bounds on gRPC request fields, and the clipping of what error details echo."""

from __future__ import annotations

from monitor.api.limits import ECHO_CHARS, MAX_ITEMS, MAX_TEXT, clip, problem, quote
from monitor.api.stubs import load

pb2, _ = load()


def test_clip_and_quote() -> None:
    assert clip("short") == "short"
    assert clip("x" * (ECHO_CHARS + 1)) == "x" * ECHO_CHARS + "…"
    assert clip("x" * ECHO_CHARS) == "x" * ECHO_CHARS
    assert quote("a\nb") == "'a\\nb'"
    assert quote("y" * 5000) == repr("y" * ECHO_CHARS + "…")


def test_problem_names_the_field_and_the_bound() -> None:
    assert problem(pb2.StartRunRequest(endpoint="demo", tasks=["T.1"])) is None
    assert problem(pb2.StartRunRequest(endpoint="e" * MAX_TEXT)) is None
    assert problem(pb2.StartRunRequest(endpoint="e" * (MAX_TEXT + 1))) == \
        f"endpoint: at most {MAX_TEXT} characters (got {MAX_TEXT + 1})"
    assert problem(pb2.StartRunRequest(tasks=["T.1"] * (MAX_ITEMS + 1))) == \
        f"tasks: at most {MAX_ITEMS} entries (got {MAX_ITEMS + 1})"
    assert problem(pb2.StartRunRequest(tasks=["T.1", "t" * 200])) == \
        f"tasks[1]: at most {MAX_TEXT} characters (got 200)"
    assert problem(pb2.CompareRunsRequest(min_effect=float("inf"))) == "min_effect: must be a finite number (got inf)"
    assert problem(pb2.CompareRunsRequest(alpha=float("nan"))) == "alpha: must be a finite number (got nan)"
    assert problem(pb2.ListRunsRequest(limit=-5)) is None  # ranges are the handler's (it knows them)
