"""Repeated runs: the same experiment over several seeds, and honest comparisons.

One training run is one sample of a random variable (its initial weights, its
batch order).  To say that setting A is better than setting B, run both from
the *same* seeds, take the per-seed differences, and report their mean with a
95 % Student-t interval for ``n - 1`` degrees of freedom.  When the interval
contains 0, the data show no difference: that is "no difference shown", not
"no difference" (a larger experiment might still find one).  Outcomes that
split into modes (runs stuck on a plateau and runs that escape it) are better
described by the fraction of runs in each mode, with a Wilson interval.

Several comparisons on one page need care: at the 95 % level, one in twenty
comparisons of settings that do not differ still shows a "difference".
:func:`holm` adjusts the p-values of a family of comparisons (Holm's
step-down method), so that the chance of *any* false verdict in the family
stays below 5 %.  Paired differences that fall into modes (most seeds tied,
a few far apart) are poorly summarised by a mean; :func:`sign_test` counts
the seeds on each side instead.

* :func:`run_seeds`, :func:`t_interval`, :func:`compare_paired`,
  :func:`wilson_interval`, :func:`mode_fraction`, :func:`sign_test`,
  :func:`holm` and :func:`plot_runs`: explained in the section "Reading the
  evidence", before chapter 1, and used from section 1.2 on.

>>> a = [0.91, 0.93, 0.92, 0.95, 0.90]
>>> b = [0.89, 0.92, 0.90, 0.93, 0.90]
>>> comparison = compare_paired(a, b, "A", "B")
>>> print(comparison.describe(".3f"))
A - B = 0.014, 95 % t interval [0.003, 0.025] over 5 paired seeds: A is higher
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, TypeVar

__all__ = [
    "Interval",
    "PairedComparison",
    "SignTest",
    "compare_paired",
    "holm",
    "mode_fraction",
    "plot_runs",
    "run_seeds",
    "sign_test",
    "t_interval",
    "wilson_interval",
]

T = TypeVar("T")


def _values(name: str, values: Sequence[float], func: str, min_len: int = 2) -> list[float]:
    """Finite floats from a sequence of numbers (tensors of one element are accepted)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{func}(): {name} must be a sequence of numbers, got {type(values).__name__}.")
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"{func}(): {name} must hold numbers, got {v!r}.") from None
        if not math.isfinite(f):
            raise ValueError(f"{func}(): {name} holds a non-finite value {f}; a run diverged? Fix or drop it first.")
        out.append(f)
    if len(out) < min_len:
        raise ValueError(f"{func}(): {name} needs at least {min_len} values for an interval, got {len(out)}.")
    return out


def _confidence(confidence: float, func: str) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise ValueError(f"{func}(): confidence must be a number strictly between 0 and 1, got {confidence!r}.")
    return float(confidence)


def _t_quantile(confidence: float, dof: int) -> float:
    from scipy import stats  # scipy comes with scikit-learn, a dependency of course_utils

    return float(stats.t.ppf(0.5 + confidence / 2, dof))


@dataclass(frozen=True)
class Interval:
    """A mean with a two-sided confidence interval ``[low, high]`` from ``n`` values.

    Returned by :func:`t_interval`, :func:`wilson_interval` and
    :func:`mode_fraction`.  Explained in the section "Reading the evidence".

    >>> iv = Interval(0.9, 0.85, 0.95, 5); iv.contains(0.8), iv.format(".2f")
    (False, '0.90 [0.85, 0.95]')
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the closed interval."""
        return self.low <= value <= self.high

    def format(self, fmt: str = ".3f") -> str:
        """``"0.912 [0.897, 0.927]"`` with the given number format."""
        return f"{self.mean:{fmt}} [{self.low:{fmt}}, {self.high:{fmt}}]"


def run_seeds(fn: Callable[[int], T], seeds: Sequence[int]) -> list[T]:
    """Call ``fn(seed)`` for every seed and return the results in the same order.

    ``fn`` must seed everything random it uses from its argument (for example
    ``torch.manual_seed(seed)`` before building a model), so that two settings
    run with the same seeds are *paired*.  Explained in the section "Reading the evidence".

    >>> run_seeds(lambda seed: seed * 10, [0, 1, 2])
    [0, 10, 20]
    """
    if not callable(fn):
        raise TypeError(f"run_seeds(): fn must be a function of the seed, got {type(fn).__name__}.")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"run_seeds(): seeds must be a sequence of ints, got {type(seeds).__name__}.")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds(): seeds is empty; give at least one seed, e.g. range(5).")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"run_seeds(): every seed must be an int, got {s!r}.")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"run_seeds(): seeds must be distinct, got {seeds}.")
    return [fn(int(s)) for s in seeds]


def t_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean of ``values`` with a Student-t interval for ``n - 1`` degrees of freedom.

    The half-width is ``t * s / sqrt(n)`` where ``s`` is the sample standard
    deviation and ``t`` the ``(1 + confidence) / 2`` quantile of Student's t
    with ``n - 1`` degrees of freedom (2.776 for five values, not 1.96 or 2).
    Explained in the section "Reading the evidence".

    >>> t_interval([1.0, 2.0, 3.0, 4.0, 5.0]).format(".2f")
    '3.00 [1.04, 4.96]'
    """
    xs = _values("values", values, "t_interval")
    confidence = _confidence(confidence, "t_interval")
    n = len(xs)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = _t_quantile(confidence, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, confidence)


@dataclass(frozen=True)
class PairedComparison:
    """The paired difference ``a - b`` of two settings run from the same seeds.

    Returned by :func:`compare_paired`.  Explained in the section "Reading the evidence".

    >>> c = compare_paired([0.9, 0.92, 0.95], [0.8, 0.83, 0.84], "deep", "shallow")
    >>> c.shown, c.verdict()
    (True, 'deep is higher')
    """

    name_a: str
    name_b: str
    differences: tuple[float, ...]
    interval: Interval

    @property
    def mean(self) -> float:
        """Mean of the per-seed differences ``a - b``."""
        return self.interval.mean

    @property
    def shown(self) -> bool:
        """True when the interval excludes 0, i.e. the data show a difference."""
        return not self.interval.contains(0.0)

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the paired t-test: the chance of a mean difference at least this far from 0
        if the settings did not differ (0 <= p <= 1; ``shown`` at 95 % is the same as ``p < 0.05``)."""
        from scipy import stats

        iv = self.interval
        n = iv.n
        mean = iv.mean
        sd = math.sqrt(sum((d - mean) ** 2 for d in self.differences) / (n - 1))
        if sd == 0:
            return 1.0 if mean == 0 else 0.0
        t = mean / (sd / math.sqrt(n))
        return float(2 * stats.t.sf(abs(t), n - 1))

    def verdict(self) -> str:
        """``"A is higher"``, ``"A is lower"`` or ``"no difference shown"``.

        "No difference shown" means the interval contains 0: these runs cannot
        tell the two settings apart.  It does *not* mean that they are equal.
        """
        if not self.shown:
            return "no difference shown"
        return f"{self.name_a} is {'higher' if self.mean > 0 else 'lower'}"

    def describe(self, fmt: str = ".3f") -> str:
        """One line: the mean difference, its interval, the number of seeds and the verdict."""
        iv = self.interval
        pct = f"{100 * iv.confidence:g} %"
        return (
            f"{self.name_a} - {self.name_b} = {iv.mean:{fmt}}, {pct} t interval "
            f"[{iv.low:{fmt}}, {iv.high:{fmt}}] over {iv.n} paired seeds: {self.verdict()}"
        )


def compare_paired(
    a: Sequence[float], b: Sequence[float], name_a: str = "A", name_b: str = "B", confidence: float = 0.95
) -> PairedComparison:
    """Compare two settings run from the same seeds: ``a[i]`` and ``b[i]`` share seed ``i``.

    Returns the mean of the differences ``a[i] - b[i]`` with a Student-t
    interval (``n - 1`` degrees of freedom); :meth:`PairedComparison.verdict`
    says "no difference shown" when the interval contains 0.  Pairing removes
    the seed-to-seed variation that both settings share, so it detects smaller
    differences than comparing two separate means.  Explained in the section "Reading the evidence".

    >>> compare_paired([0.9, 0.8, 0.85], [0.9, 0.81, 0.84], "wide", "narrow").verdict()
    'no difference shown'
    """
    xa = _values("a", a, "compare_paired")
    xb = _values("b", b, "compare_paired")
    if len(xa) != len(xb):
        raise ValueError(
            f"compare_paired(): a and b must hold one value per seed, got {len(xa)} and {len(xb)} values; "
            "run both settings with the same seeds."
        )
    for label, name in (("name_a", name_a), ("name_b", name_b)):
        if not isinstance(name, str):
            raise TypeError(f"compare_paired(): {label} must be a str, got {type(name).__name__}.")
    diffs = tuple(x - y for x, y in zip(xa, xb))
    return PairedComparison(name_a, name_b, diffs, t_interval(diffs, confidence))


@dataclass(frozen=True)
class SignTest:
    """How many seeds favour each setting, with the two-sided sign test's p-value.

    Returned by :func:`sign_test`.  Ties (equal values) carry no sign and are
    left out of the test, as usual.  Explained in the section "Reading the
    evidence", before chapter 1.

    >>> SignTest("A", "B", wins=8, losses=3, ties=9).describe()
    'A vs B over 20 paired seeds: A higher in 8, lower in 3, tied in 9 (sign test p = 0.23)'
    """

    name_a: str
    name_b: str
    wins: int
    losses: int
    ties: int

    @property
    def p_value(self) -> float:
        """Two-sided exact binomial p-value of ``wins`` out of ``wins + losses`` under p = 1/2 (1 if all tie)."""
        n = self.wins + self.losses
        if n == 0:
            return 1.0
        k = min(self.wins, self.losses)
        tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
        return min(1.0, 2 * tail)

    def describe(self) -> str:
        """One line: the counts on each side and the p-value."""
        n = self.wins + self.losses + self.ties
        return (f"{self.name_a} vs {self.name_b} over {n} paired seeds: {self.name_a} higher in {self.wins}, "
                f"lower in {self.losses}, tied in {self.ties} (sign test p = {self.p_value:.2g})")


def sign_test(a: Sequence[float], b: Sequence[float], name_a: str = "A", name_b: str = "B",
              tie: float = 0.0) -> SignTest:
    """Count the seeds where ``a[i]`` is above, below or within ``tie`` of ``b[i]``; see :class:`SignTest`.

    Use it when paired differences fall into modes (many seeds tied, a few
    far apart either way), where the mean and its t interval mislead.
    ``tie`` counts differences of at most that size as ties (e.g. one image
    out of the dev set).  Explained in the section "Reading the evidence".

    >>> sign_test([1.0, 0.9, 1.0, 0.8], [1.0, 0.7, 0.9, 0.9]).describe()
    'A vs B over 4 paired seeds: A higher in 2, lower in 1, tied in 1 (sign test p = 1)'
    """
    xa = _values("a", a, "sign_test", min_len=1)
    xb = _values("b", b, "sign_test", min_len=1)
    if len(xa) != len(xb):
        raise ValueError(f"sign_test(): a and b must hold one value per seed, got {len(xa)} and {len(xb)} values.")
    if isinstance(tie, bool) or not isinstance(tie, numbers.Real) or not tie >= 0:
        raise ValueError(f"sign_test(): tie must be a number >= 0, got {tie!r}.")
    diffs = [x - y for x, y in zip(xa, xb)]
    wins = sum(d > tie for d in diffs)
    losses = sum(d < -tie for d in diffs)
    return SignTest(name_a, name_b, wins, losses, len(diffs) - wins - losses)


def holm(p_values: Mapping[str, float] | Sequence[float], alpha: float = 0.05) -> dict[Any, tuple[float, bool]]:
    """Holm's step-down adjustment of a family of p-values.

    Returns, for each comparison (the mapping's keys, or the positions of a
    sequence), its adjusted p-value and whether it is still a "difference
    shown" at level ``alpha`` for the family as a whole: the chance that *any*
    of the family's verdicts is a false alarm stays below ``alpha``.  Sort the
    p-values, multiply the smallest by m, the next by m - 1, and so on, keep
    the sequence non-decreasing, and cap at 1 (Holm, 1979).  Explained in the
    section "Reading the evidence".

    >>> holm({"lr 1 vs 0.2": 0.001, "lr 3 vs 1": 0.04, "lr 5 vs 3": 0.043})
    {'lr 1 vs 0.2': (0.003, True), 'lr 3 vs 1': (0.08, False), 'lr 5 vs 3': (0.08, False)}
    """
    keys = list(p_values.keys()) if isinstance(p_values, Mapping) else list(range(len(p_values)))
    values = list(p_values.values()) if isinstance(p_values, Mapping) else list(p_values)
    if not values:
        raise ValueError("holm(): p_values is empty; give the p-values of the family of comparisons.")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= v <= 1:
            raise ValueError(f"holm(): every p-value must be a number in [0, 1], got {v!r}.")
    alpha = _confidence(alpha, "holm")
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(values[i])))
        adjusted[i] = round(running, 12)
    return {k: (adjusted[i], adjusted[i] < alpha) for i, k in enumerate(keys)}


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> Interval:
    """The fraction ``k / n`` with Wilson's score interval (stays inside ``[0, 1]``).

    Use it for counts such as "runs that left the plateau": with 5 of 5 runs
    the interval is still wide, which is the honest answer.
    Explained in the section "Reading the evidence".

    >>> wilson_interval(5, 5).format(".2f")
    '1.00 [0.57, 1.00]'
    """
    for label, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"wilson_interval(): {label} must be an int, got {v!r}.")
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"wilson_interval(): need 0 <= k <= n and n > 0, got k={k}, n={n}.")
    confidence = _confidence(confidence, "wilson_interval")
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), int(n), confidence)


def mode_fraction(values: Sequence[float], threshold: float, confidence: float = 0.95) -> Interval:
    """Fraction of ``values`` strictly above ``threshold``, with a Wilson interval.

    For bimodal outcomes: e.g. the fraction of runs whose dev accuracy left a
    plateau at 0.88, ``mode_fraction(dev_acc, 0.9)``. Explained in the section "Reading the evidence".

    >>> mode_fraction([0.88, 0.99, 0.88, 0.98], 0.9).mean
    0.5
    """
    xs = _values("values", values, "mode_fraction", min_len=1)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold):
        raise TypeError(f"mode_fraction(): threshold must be a finite number, got {threshold!r}.")
    return wilson_interval(sum(x > threshold for x in xs), len(xs), confidence)


def plot_runs(
    groups: Mapping[str, Sequence[float]],
    ax: Any = None,
    ylabel: str = "",
    title: str = "",
    limits: tuple[float, float] | None = (0.0, 1.0),
    jitter: float = 0.12,
    seed: int = 0,
    confidence: float = 0.95,
) -> Any:
    """Every run as a point, with the mean and its t interval, one column per group.

    Points are spread sideways by a small seeded jitter so that equal values do
    not hide each other.  ``limits`` is the metric's range (``(0, 1)`` for an
    accuracy; ``None`` for an unbounded metric such as a loss): the interval
    and the axis are clipped to it, so an error bar never claims an accuracy
    above 1.  Returns the ``Axes``.  Explained in the section "Reading the evidence".

    >>> ax = plot_runs({"lr 1": [0.88, 0.99, 0.99], "lr 5": [1.0, 0.99, 1.0]}, ylabel="dev accuracy")
    >>> [t.get_text() for t in ax.get_xticklabels()], bool(ax.get_ylim()[1] <= 1.02)
    (['lr 1', 'lr 5'], True)
    """
    import numpy as np

    from .plotting import _plt

    if not isinstance(groups, Mapping) or not groups:
        raise TypeError("plot_runs(): groups must be a non-empty mapping of name -> values, e.g. {'lr 0.2': [...]}.")
    if ax is None:
        _, ax = _plt().subplots(figsize=(1.2 + 1.1 * len(groups), 3.2), layout="constrained")
    rng = np.random.default_rng(seed)
    for i, (name, values) in enumerate(groups.items()):
        xs = _values(f"groups[{name!r}]", values, "plot_runs", min_len=1)
        offsets = rng.uniform(-jitter, jitter, len(xs))
        ax.scatter(i + offsets, xs, s=16, alpha=0.6, color="tab:blue", zorder=2,
                   label="one run" if i == 0 else None)
        if len(xs) >= 2:
            iv = t_interval(xs, confidence)
            low, high = iv.low, iv.high
            if limits is not None:
                low, high = max(low, limits[0]), min(high, limits[1])
            ax.errorbar([i + 0.3], [iv.mean], yerr=[[iv.mean - low], [high - iv.mean]], fmt="s", color="black",
                        capsize=4, zorder=3, label=f"mean, {100 * confidence:g} % t interval" if i == 0 else None)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_xlim(-0.5, len(groups) - 0.3)
    if limits is not None:
        lo, hi = ax.get_ylim()
        span = limits[1] - limits[0]
        ax.set_ylim(max(lo, limits[0] - 0.02 * span), min(hi, limits[1] + 0.02 * span))
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, axis="y")
    ax.legend(loc="best", fontsize="small")
    return ax
