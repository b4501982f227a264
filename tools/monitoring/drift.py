"""Drift statistics between a reference distribution and a current one, given as bin counts.

Numeric features are compared on the reference's bins (its distinct deciles), categorical
features on the union of their categories. The functions take counts, not raw values, so the
counting can happen in DuckDB and only a few numbers per feature reach Python.

- PSI (population stability index): sum over bins of (cur - ref) * ln(cur / ref), with empty
  bins given a share of 1e-4 so the logarithm stays finite.
- Jensen-Shannon distance: the square root of the JS divergence with natural logarithms (as
  ``scipy.spatial.distance.jensenshannon`` computes it), between 0 and sqrt(ln 2) = 0.83.
- Chi-squared test: current counts against the counts the reference shares predict for the
  same total; returns the p-value.
- L-infinity distance: the largest absolute difference between category shares.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np
from scipy import stats

EMPTY_BIN_SHARE = 1e-4
PERCENTILE_STEP = 0.05


def shares(counts: Sequence[float]) -> np.ndarray:
    total = float(sum(counts))
    if total <= 0:
        return np.zeros(len(counts))
    return np.asarray(counts, dtype=float) / total


def _smoothed(share: np.ndarray) -> np.ndarray:
    return np.where(share > 0, share, EMPTY_BIN_SHARE)


def psi(reference_counts: Sequence[float], current_counts: Sequence[float]) -> float:
    """Return the population stability index of the current counts against the reference."""
    ref = _smoothed(shares(reference_counts))
    cur = _smoothed(shares(current_counts))
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def jensen_shannon(reference_counts: Sequence[float], current_counts: Sequence[float]) -> float:
    """Return the Jensen-Shannon distance (natural logarithm) between the two distributions."""
    ref = shares(reference_counts)
    cur = shares(current_counts)
    middle = (ref + cur) / 2
    divergence = 0.0
    for p in (ref, cur):
        mask = p > 0
        divergence += 0.5 * float(np.sum(p[mask] * np.log(p[mask] / middle[mask])))
    return math.sqrt(max(divergence, 0.0))


def chi_squared_pvalue(reference_counts: Sequence[float], current_counts: Sequence[float]) -> float:
    """Return the p-value of a chi-squared goodness-of-fit test of current against reference."""
    observed = np.asarray(current_counts, dtype=float)
    total = observed.sum()
    if total <= 0 or len(observed) < 2:
        return 1.0
    expected = _smoothed(shares(reference_counts))
    expected = expected / expected.sum() * total
    return float(stats.chisquare(observed, expected).pvalue)


def l_infinity(reference_counts: Sequence[float], current_counts: Sequence[float]) -> float:
    """Return the largest absolute difference between the two distributions' shares."""
    difference = np.abs(shares(reference_counts) - shares(current_counts))
    return float(difference.max()) if len(difference) else 0.0


def estimated_cdf(percentiles: Sequence[float], value: float) -> float:
    """Estimate P(X <= value) from percentiles at 0, 5, ..., 100 % by linear interpolation.

    Where several percentiles equal ``value`` (a tied, discrete value) the highest level is
    taken, because the bins are right-closed.
    """
    count = len(percentiles)
    step = 1.0 / (count - 1)
    if value < percentiles[0]:
        return 0.0
    if value >= percentiles[-1]:
        return 1.0
    index = bisect_right(list(percentiles), value) - 1
    if percentiles[index] == value:
        return index * step
    low, high = percentiles[index], percentiles[index + 1]
    return (index + (value - low) / (high - low)) * step


def estimated_bin_shares(percentiles: Sequence[float], edges: Sequence[float]) -> list[float]:
    """Estimate the share of values in each right-closed bin over ``edges`` from percentiles."""
    cdf = [estimated_cdf(percentiles, edge) for edge in edges]
    bounds = [0.0, *cdf, 1.0]
    return [max(bounds[i + 1] - bounds[i], 0.0) for i in range(len(bounds) - 1)]


def bin_counts_of_values(values: dict[float, int], edges: Sequence[float]) -> list[int]:
    """Count exact value counts into right-closed bins over ``edges``."""
    counts = [0] * (len(edges) + 1)
    for value, count in values.items():
        counts[bisect_left_count(edges, value)] += count
    return counts


def bisect_left_count(edges: Sequence[float], value: float) -> int:
    """Return the number of edges strictly below ``value``: its right-closed bin index."""
    low, high = 0, len(edges)
    while low < high:
        middle = (low + high) // 2
        if edges[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low
