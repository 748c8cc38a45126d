"""The release gate: one candidate run against a baseline run (or the endpoint's reference), once.

The same paired statistics as the monitor, as a fixed comparison: one window (the candidate alone), Holm over
its tests at the gate's level (``regression.gate_alpha``, 0.05 by default) instead of the monitor's
1/false_alarm_runs. Result: ``regression`` if any group regressed; else ``inconclusive`` if any group compared
had too few paired scored samples (or nothing could be compared); else ``pass``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.regression.detector import Settings, WindowData, detect
from monitor.regression.monitor import JUDGED, RegressionMonitor, reliable_tasks
from monitor.store import RunRecord, Verdict, VerdictRecord

PASS, REGRESSION, INCONCLUSIVE = "pass", "regression", "inconclusive"
EXIT_CODES = {PASS: 0, REGRESSION: 1, INCONCLUSIVE: 2}


class CompareError(Exception):
    """A comparison that cannot be made; ``code`` maps to a gRPC status ("not_found", "failed_precondition")."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Comparison:
    candidate: str
    reference: list[str]
    result: str
    verdicts: list[VerdictRecord]
    settings: Settings
    message: str


def compare(monitor: RegressionMonitor, candidate_id: str, baseline_id: str | None,
            settings: Settings) -> Comparison:
    store = monitor.store
    candidate = _finished(monitor, candidate_id, "candidate")
    if baseline_id:
        baseline = _finished(monitor, baseline_id, "baseline")
        if baseline.id == candidate.id:
            raise CompareError("failed_precondition", "the baseline and the candidate are the same run")
        reference = [baseline.id]
        measured = reliable_tasks(store.task_scores(baseline.id), monitor.config.suite.max_error_share)
        notes = [] if baseline.suite_version == candidate.suite_version else [
            f"note: the runs are of different suite versions ({baseline.suite_version}, "
            f"{candidate.suite_version}); only samples with the same ids are paired"]
    else:
        windows, why = monitor.windows(candidate)
        if not windows:
            raise CompareError("failed_precondition", f"nothing to compare run {candidate.id} with: {why}")
        reference = list(windows[0].reference)
        measured = None
        notes = []
    values = monitor.values([candidate.id, *reference])
    window = WindowData.build([values[candidate.id]], [values[r] for r in reference], reference)
    tasks = reliable_tasks(store.task_scores(candidate.id), monitor.config.suite.max_error_share)
    if measured is not None:
        tasks &= measured
    # a group is compared only when every task of it that the endpoint runs was measured on both sides
    verdicts = detect(monitor.index, [window], tasks=tasks, scope=set(monitor.scope(candidate.endpoint)),
                      settings=settings, seed=candidate.id)
    regressed = [v for v in verdicts if v.verdict is Verdict.REGRESSED]
    unsure = [v for v in verdicts if v.verdict is Verdict.INCONCLUSIVE]
    if regressed:
        result = REGRESSION
        message = "regression: " + "; ".join(f"{v.name} ({v.level}) {100 * (v.delta or 0):+.1f} points"
                                              for v in regressed)
    elif unsure or not verdicts:
        result = INCONCLUSIVE
        message = ("inconclusive: too few paired scored samples for " + ", ".join(v.name for v in unsure)
                   if unsure else "inconclusive: the runs have no measured task in common")
    else:
        result = PASS
        message = f"pass: no drop of {100 * settings.min_effect:g} points or more in {len(verdicts)} groups"
    verdicts = [replace(v, reference=reference) for v in verdicts]
    return Comparison(candidate.id, reference, result, verdicts, settings, "; ".join([message, *notes]))


def _finished(monitor: RegressionMonitor, run_id: str, role: str) -> RunRecord:
    record = monitor.store.get_run(run_id)
    if record is None:
        raise CompareError("not_found", f"unknown {role} run {run_id!r}")
    if record.status not in JUDGED:
        raise CompareError("failed_precondition",
                           f"the {role} run {run_id} is {record.status.value}: only a finished run with scores "
                           "can be compared")
    return record
