"""Confidence intervals and tests over seeds: how sure a difference of two means of a few seeds is.

Welch's t-test, not a bootstrap: with 3 seeds a bootstrap over seeds has 10 distinct resamples of
each group, and its percentile interval is narrower than the data allow (it takes the spread of 3
values at face value). Student's t accounts for the spread being estimated from those few values,
which is what widens an interval of 3 seeds. Welch's version does not assume equal spreads: a deep
ReLU net's accuracy spreads over 0.3 across seeds while a Tanh net's moves in the third decimal.
The groups are treated as independent samples (the same seed gives two activations the same
initial weights and batch order, so a paired test would be sharper; this one is conservative).

Two properties of the study's metric enter the tests:
- Resolution. Test accuracy is a count of test images over their number, so it moves in steps of
  1 / test images. A spread over seeds smaller than one step cannot show: three seeds that agree to
  the image have a sample sd of 0, and a t-test would call any difference between two such groups
  exact. So each group's sd is taken as at least ``resolution`` (one step), and a difference of a
  step or two between two constant groups is no evidence of anything.
- Bounds. An accuracy lies in [0, 1]; a t interval over a few spread seeds can reach past that (two
  seeds at 0.11 and 0.93 give [-5.1, 6.1]). ``clip_interval`` is the one place where an interval is
  brought within its metric's bounds: it keeps the part of the interval that the metric can take.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as st

LEVEL = 0.95


def _exact(se: float, *means: float) -> bool:
    """No spread at all: every seed gave the same value (up to rounding of their mean)."""
    return se <= 1e-12 * max(1.0, *map(abs, means))


def _difference(mean_a: float, mean_b: float) -> float:
    """mean_a - mean_b, or exactly 0 where the two are equal up to the rounding of their sums
    (three seeds of 0.1 and two of 0.1 have means that differ by 1e-17)."""
    return 0.0 if _exact(abs(mean_a - mean_b), mean_a, mean_b) else float(mean_a - mean_b)


def _clean(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def clip_interval(lower: float, upper: float, bounds: tuple[float, float] | None) -> tuple[float, float]:
    """(lower, upper) brought within ``bounds`` (low, high), the values that the metric can take (an
    accuracy's (0, 1), a loss's (0, inf)); unchanged for ``bounds`` None. The mean lies within the
    bounds, so a clipped interval still holds it; NaN stays NaN."""
    if bounds is None:
        return lower, upper
    low, high = bounds
    if low > high:
        raise ValueError(f"bounds {bounds}: the lower bound is above the upper one")
    return tuple(x if math.isnan(x) else float(min(max(x, low), high)) for x in (lower, upper))


def mean_ci(values, level: float = LEVEL, bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """(mean, lower, upper): Student's t interval for the mean over seeds, within ``bounds`` where
    given (``clip_interval``); NaN bounds for one value."""
    x = _clean(values)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size == 1:
        return mean, math.nan, math.nan
    half = float(st.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return (mean, *clip_interval(mean - half, mean + half, bounds))


def _variance(x: np.ndarray, resolution: float) -> float:
    """The sample variance of one group, at least resolution^2: a spread below one step of the metric
    cannot show in its values."""
    return max(float(x.var(ddof=1)), resolution**2)


def welch(a, b, level: float = LEVEL, resolution: float = 0.0, bounds: tuple[float, float] | None = None) -> dict:
    """Mean(a) - mean(b) with its Welch interval, degrees of freedom, t and two-sided p-value.

    ``resolution``: the metric's step (1 / test images for an accuracy); each group's sd counts as at
    least that, so that two groups without spread differ only by as much as the metric can tell.
    With resolution 0 and neither group varying, the difference is exact: p is 0 for a non-zero
    difference and 1 for none, and the interval a point. ``bounds``: those of the difference (for
    two accuracies (-1, 1)), which the interval is kept within (``clip_interval``).
    """
    a, b = _clean(a), _clean(b)
    if a.size < 2 or b.size < 2:
        raise ValueError(f"a Welch test needs two values a side, got {a.size} and {b.size}")
    va, vb = _variance(a, resolution) / a.size, _variance(b, resolution) / b.size
    se = math.sqrt(va + vb)
    diff = _difference(a.mean(), b.mean())
    if _exact(se, a.mean(), b.mean()):
        return _t_result(diff, 0.0, math.inf, level)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return _t_result(diff, se, df, level, bounds)


def one_sample(
    a, value: float, level: float = LEVEL, resolution: float = 0.0, bounds: tuple[float, float] | None = None
) -> dict:
    """Mean(a) - value, for a single published number without a spread (the report's CNN); the sd
    counts as at least ``resolution``, and the interval stays within ``bounds``, as in ``welch``."""
    a = _clean(a)
    if a.size < 2:
        raise ValueError(f"a one-sample t-test needs two values, got {a.size}")
    se = math.sqrt(_variance(a, resolution) / a.size)
    return _t_result(_difference(a.mean(), value), 0.0 if _exact(se, a.mean()) else se, a.size - 1, level, bounds)


def _t_result(diff: float, se: float, df: float, level: float, bounds: tuple[float, float] | None = None) -> dict:
    """A difference with its t interval (within ``bounds``), t and two-sided p; se 0 (no spread) makes
    it exact: a point interval, p 0 for a non-zero difference and 1 for none. t, p and se are the
    test's own; only the interval is clipped."""
    if se == 0:
        t = math.copysign(math.inf, diff) if diff else 0.0
        return dict(diff=diff, lower=diff, upper=diff, se=0.0, df=df, t=t, p=0.0 if diff else 1.0)
    half = float(st.t.ppf(0.5 + level / 2, df) * se)
    t = diff / se
    lower, upper = clip_interval(diff - half, diff + half, bounds)
    return dict(diff=diff, lower=lower, upper=upper, se=se, df=df, t=t, p=float(2 * st.t.sf(abs(t), df)))


def noninferiority_p(result: dict, margin: float) -> float:
    """One-sided p of "the difference is at most -margin" for a ``welch`` or ``one_sample`` result;
    below (1 - LEVEL) / 2 exactly when the 95 % interval's lower end lies above -margin."""
    if result["se"] == 0:
        return 0.0 if result["diff"] > -margin else 1.0
    return float(st.t.sf((result["diff"] + margin) / result["se"], result["df"]))


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values: reject where the adjusted p < alpha, and
    the chance of any false claim in the family stays below alpha (Holm 1979). NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, math.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out
