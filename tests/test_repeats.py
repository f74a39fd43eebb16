"""Repeated runs and paired comparisons (course_utils.repeats)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import course_utils as d2l


def test_t_interval_matches_scipy_and_the_textbook_quantile():
    values = [0.912, 0.887, 0.934, 0.901, 0.925, 0.880]
    iv = d2l.t_interval(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert iv.mean == pytest.approx(np.mean(values))
    assert (iv.low, iv.high) == pytest.approx((low, high), rel=1e-12)
    # Five values: the quantile is t(0.975, 4) = 2.776, not 1.96 or 2.
    five = [1.0, 2.0, 3.0, 4.0, 5.0]
    half = d2l.t_interval(five).high - 3.0
    assert half / (stats.tstd(five) / math.sqrt(5)) == pytest.approx(2.776, abs=1e-3)


def test_t_interval_confidence_changes_the_width():
    values = [1.0, 1.5, 0.5, 1.2, 0.8]
    narrow, wide = d2l.t_interval(values, 0.8), d2l.t_interval(values, 0.99)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_compare_paired_equals_a_paired_t_test():
    a = [0.95, 0.91, 0.97, 0.90, 0.93, 0.96, 0.92]
    b = [0.93, 0.90, 0.94, 0.90, 0.90, 0.95, 0.91]
    c = d2l.compare_paired(a, b, "wide", "narrow")
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (c.interval.low, c.interval.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert c.shown and c.verdict() == "wide is higher"
    assert c.differences == pytest.approx(tuple(x - y for x, y in zip(a, b)))
    assert "over 7 paired seeds: wide is higher" in c.describe()


def test_pairing_finds_a_difference_that_unpaired_means_hide():
    # The seeds move both settings together; B is always a little lower.
    a = [0.80, 0.90, 0.85, 0.95, 0.82]
    b = [x - 0.01 for x in a]
    assert d2l.compare_paired(a, b).shown
    unpaired = d2l.t_interval(a)
    assert unpaired.contains(d2l.t_interval(b).mean)


def test_no_difference_shown_when_the_interval_contains_zero():
    c = d2l.compare_paired([0.9, 0.8, 0.85], [0.91, 0.79, 0.85], "A", "B")
    assert not c.shown
    assert c.interval.contains(0.0)
    assert c.verdict() == "no difference shown"
    lower = d2l.compare_paired([0.1, 0.2, 0.3], [0.2, 0.3, 0.45], "A", "B")
    assert lower.verdict() == "A is lower"


def test_wilson_interval_against_the_formula_and_its_edges():
    iv = d2l.wilson_interval(3, 10)
    z = stats.norm.ppf(0.975)
    p, n = 0.3, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (iv.low, iv.high) == pytest.approx((centre - half, centre + half))
    all_five = d2l.wilson_interval(5, 5)
    assert all_five.mean == 1.0 and all_five.high == 1.0 and all_five.low == pytest.approx(0.566, abs=1e-3)
    assert d2l.wilson_interval(0, 5).low == 0.0


def test_mode_fraction_counts_runs_above_the_threshold():
    iv = d2l.mode_fraction([0.88, 0.99, 0.88, 0.98, 0.995], 0.9)
    assert iv.mean == pytest.approx(0.6) and iv.n == 5


def test_run_seeds_calls_in_order_and_pairs():
    seen = []
    assert d2l.run_seeds(lambda s: seen.append(s) or s * s, [3, 1, 2]) == [9, 1, 4]
    assert seen == [3, 1, 2]
    assert d2l.run_seeds(lambda s: s, np.arange(3)) == [0, 1, 2]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: d2l.t_interval([1.0]), ValueError, "at least 2 values"),
        (lambda: d2l.t_interval("0.9 0.8"), TypeError, "sequence of numbers"),
        (lambda: d2l.t_interval([1.0, float("nan")]), ValueError, "non-finite"),
        (lambda: d2l.t_interval([1.0, "a"]), TypeError, "must hold numbers"),
        (lambda: d2l.t_interval([1.0, 2.0], confidence=95), ValueError, "between 0 and 1"),
        (lambda: d2l.compare_paired([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "same seeds"),
        (lambda: d2l.wilson_interval(6, 5), ValueError, "0 <= k <= n"),
        (lambda: d2l.wilson_interval(2.5, 5), TypeError, "k must be an int"),
        (lambda: d2l.run_seeds(lambda s: s, []), ValueError, "empty"),
        (lambda: d2l.run_seeds(lambda s: s, [0, 0]), ValueError, "distinct"),
        (lambda: d2l.run_seeds(lambda s: s, [True]), TypeError, "int"),
        (lambda: d2l.run_seeds(3, [0]), TypeError, "function of the seed"),
        (lambda: d2l.mode_fraction([0.5], "0.9"), TypeError, "finite number"),
    ],
)
def test_bad_input_is_rejected_with_a_message(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_plot_runs_shows_every_run_and_clips_to_the_metric_range():
    import matplotlib.pyplot as plt

    groups = {"lr 1": [0.88, 0.99, 0.99, 0.88, 1.0], "lr 5": [1.0, 1.0, 1.0, 0.99, 1.0]}
    ax = d2l.plot_runs(groups, ylabel="dev accuracy", title="t")
    points = [c for c in ax.collections if c.get_offsets().shape[0] == 5]
    assert len(points) == 2
    xs = np.concatenate([c.get_offsets()[:, 0] for c in points])
    assert len(set(np.round(xs, 6))) == 10  # jittered: no two runs at the same x
    assert ax.get_ylim()[1] <= 1.02
    for line in ax.lines:
        assert np.all(np.asarray(line.get_ydata()) <= 1.0 + 1e-12)
    plt.close(ax.figure)


def test_p_value_equals_scipy_s_paired_t_test_and_agrees_with_the_interval():
    a = [0.95, 0.91, 0.97, 0.90, 0.93, 0.96, 0.92]
    b = [0.93, 0.90, 0.94, 0.90, 0.90, 0.95, 0.91]
    c = d2l.compare_paired(a, b)
    assert c.p_value == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-9)
    noisy = d2l.compare_paired([0.9, 0.8, 0.85, 0.7], [0.85, 0.86, 0.8, 0.75])
    assert (noisy.p_value < 0.05) == noisy.shown and not noisy.shown
    assert d2l.compare_paired([1.0, 1.0], [1.0, 1.0]).p_value == 1.0


def test_sign_test_equals_scipy_s_binomial_test():
    a = [1.0] * 8 + [0.0] * 3 + [0.5] * 9
    b = [0.0] * 8 + [1.0] * 3 + [0.5] * 9
    s = d2l.sign_test(a, b, "lr 5", "lr 3")
    assert (s.wins, s.losses, s.ties) == (8, 3, 9)
    assert s.p_value == pytest.approx(stats.binomtest(8, 11, 0.5).pvalue, rel=1e-12)
    assert "lr 5 higher in 8, lower in 3, tied in 9" in s.describe()
    # A tolerance turns small differences into ties.
    assert d2l.sign_test([0.501, 0.7], [0.5, 0.5], tie=0.002).ties == 1
    assert d2l.sign_test([1.0] * 10, [0.0] * 10).p_value == pytest.approx(2 / 2**10)


def test_holm_matches_the_step_down_rule_and_is_stricter_than_each_test_alone():
    p = {"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.2}
    out = d2l.holm(p)
    assert out["a"] == (pytest.approx(0.04), True)          # 4 x 0.01
    assert out["c"][0] == pytest.approx(0.09) and not out["c"][1]  # 3 x 0.03
    assert out["b"][0] == pytest.approx(0.09)               # 2 x 0.04 = 0.08, kept non-decreasing: 0.09
    assert out["d"][0] == pytest.approx(0.2)
    assert [rejected for _, rejected in d2l.holm([0.001, 0.002]).values()] == [True, True]
    # Every p below 0.05 alone, yet not all survive as a family.
    assert sum(r for _, r in d2l.holm([0.02, 0.03, 0.04]).values()) == 0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: d2l.sign_test([1.0], [1.0, 2.0]), ValueError, "one value per seed"),
        (lambda: d2l.sign_test([1.0], [2.0], tie=-1), ValueError, "tie must be"),
        (lambda: d2l.holm([]), ValueError, "empty"),
        (lambda: d2l.holm([0.5, 1.5]), ValueError, r"in \[0, 1\]"),
    ],
)
def test_sign_test_and_holm_refuse_nonsense(call, error, match):
    with pytest.raises(error, match=match):
        call()
