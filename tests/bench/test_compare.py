"""mnx.bench.compare: relative changes and regression flags on synthetic results."""

from __future__ import annotations

import dataclasses

import pytest

from mnx.bench.compare import NothingComparedError, compare
from mnx.errors import ConfigError
from support.results import make_results


def test_synthetic_regression_flagged() -> None:
    a = make_results(p50_ms=1.0, accuracy=0.98)
    slower = make_results(p50_ms=1.2, accuracy=0.98)
    cmp = compare(a, slower, threshold_pct=5.0)
    assert cmp.regressed
    c = cmp.changes[0]
    assert c.p50_change_pct == pytest.approx(20.0)
    assert c.images_per_s_change_pct == pytest.approx((1 / 1.2 - 1) * 100)
    assert any("p50" in w for w in c.regressions)
    assert len(cmp.changes) == 2  # skipped rows are not compared


def test_within_threshold_and_accuracy_drop() -> None:
    a = make_results(p50_ms=1.0, accuracy=0.98)
    assert not compare(a, make_results(p50_ms=1.03, accuracy=0.98), threshold_pct=5.0).regressed
    worse = compare(a, make_results(p50_ms=1.0, accuracy=0.975), accuracy_drop_pp=0.1)
    assert worse.regressed
    assert worse.changes[0].accuracy_change_pp == pytest.approx(-0.5)


def test_unmatched_rows_listed() -> None:
    a = make_results()
    b = dataclasses.replace(a, rows=a.rows[:1])
    cmp = compare(a, b)
    assert len(cmp.changes) == 1
    assert cmp.only_in_a == (("linear", "ort", "fp32", 32),)


@pytest.mark.parametrize(
    ("threshold", "drop"), [(0.0, 0.1), (float("inf"), 0.1), (5.0, float("nan")), (5.0, -1.0)]
)
def test_bad_thresholds_are_config_errors(threshold: float, drop: float) -> None:
    with pytest.raises(ConfigError, match="Bad thresholds"):
        compare(make_results(), make_results(), threshold_pct=threshold, accuracy_drop_pp=drop)


def test_nothing_compared_is_an_error_naming_both_files() -> None:
    a = make_results()
    b = dataclasses.replace(a, rows=tuple(dataclasses.replace(r, network="x") for r in a.rows))
    with pytest.raises(NothingComparedError, match="candidate 'new.json' matches .* 'old.json'"):
        compare(a, b, names=("old.json", "new.json"))
