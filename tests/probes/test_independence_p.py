"""F.6's chi-square test of independence gives scipy.stats.chi2_contingency's p-value (Yates' correction on
2x2 tables, empty levels and answers dropped) without importing scipy.stats into the monitor."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from probes.scoring.fairness_rules import independence_p

_COUNTS = st.one_of(st.integers(0, 3), st.integers(0, 60), st.integers(0, 5000))


@settings(max_examples=400, deadline=None)
@given(st.integers(2, 3).flatmap(lambda cols: st.lists(st.lists(_COUNTS, min_size=cols, max_size=cols),
                                                        min_size=1, max_size=7)))
def test_independence_p_is_scipys(table: list[list[int]]) -> None:
    from scipy.stats import chi2_contingency

    rows = [r for r in table if sum(r) > 0]
    cols = [j for j in range(len(table[0])) if sum(r[j] for r in rows) > 0]
    if len(rows) < 2 or len(cols) < 2:
        assert independence_p(table) == 1.0
        return
    expected = float(chi2_contingency([[r[j] for j in cols] for r in rows]).pvalue)
    assert abs(independence_p(table) - expected) <= 1e-12 * max(1.0, expected)


def test_scoring_f6_does_not_import_scipy_stats() -> None:
    code = ("import sys; from probes.scoring.fairness_rules import independence_p; "
            "p = independence_p([[10, 20], [20, 10], [0, 0]]); "
            "print(round(p, 4), 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0.0201", "False"]
