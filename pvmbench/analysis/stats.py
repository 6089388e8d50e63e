"""Intervals and p-values shared by the analyses; numpy only, seeded, no global RNG.

Frames of one object or one scenario seed are correlated (views of one object, steps of one episode),
so intervals resample whole clusters: resampling single frames would treat 4 views of one object as 4
independent objects and give intervals too narrow.

  cluster_bootstrap_ci  mean of per-item values, percentile CI over resampled clusters (Efron);
                        a paired difference is the same call on the per-item differences.
  jackknife_ci          for statistics that are not means of items (CKA): delete-one-cluster
                        jackknife standard error, normal interval. The bootstrap would put duplicate
                        rows into a Gram matrix, which biases HSIC upwards.
  add_one_p             Monte-Carlo p-value that is never 0 (Phipson & Smyth 2010).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

REPS = 2000
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


def cluster_bootstrap_ci(values, clusters=None, reps: int = REPS, confidence: float = 0.95,
                         seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high) of the mean of `values`, resampling whole clusters with replacement.

    The mean of a resample is sum / count over the drawn clusters, so clusters of unequal size weigh as
    their items do. `clusters=None` resamples single items. NaN values are an error: report them apart.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"values must be non-empty and finite, got {x.size} values")
    labels = np.arange(x.size) if clusters is None else np.asarray(clusters).ravel()
    if labels.shape != x.shape:
        raise ValueError(f"clusters must label each value: {labels.shape} vs {x.shape}")
    _, inverse = np.unique(labels, return_inverse=True)
    sums = np.bincount(inverse, weights=x)
    counts = np.bincount(inverse).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(reps, len(sums)))
    dist = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = 50.0 * (1.0 - confidence)
    low, high = np.percentile(dist, [tail, 100.0 - tail])
    return float(x.mean()), float(low), float(high)


def jackknife_ci(statistic: Callable[[np.ndarray], float], clusters, confidence: float = 0.95
                 ) -> tuple[float, float, float]:
    """(value, low, high): statistic(keep) over all items, +- z * the delete-one-cluster jackknife s.e.

    `statistic` takes a bool mask of the items to keep. Only the 95% level has its z built in.
    """
    if confidence != 0.95:
        raise ValueError("jackknife_ci gives 95% intervals only")
    labels = np.asarray(clusters).ravel()
    groups = np.unique(labels)
    if len(groups) < 2:
        raise ValueError("the jackknife needs at least two clusters")
    value = float(statistic(np.ones(labels.size, dtype=bool)))
    leave_out = np.array([statistic(labels != g) for g in groups], dtype=np.float64)
    g = len(groups)
    se = float(np.sqrt((g - 1) / g * np.sum((leave_out - leave_out.mean()) ** 2)))
    return value, value - Z95 * se, value + Z95 * se


def add_one_p(observed: float, null: np.ndarray) -> float:
    """P(null >= observed) as (1 + count) / (1 + reps): one-sided, never 0 for finitely many draws."""
    null = np.asarray(null, dtype=np.float64)
    tol = 1e-12 * max(1.0, abs(observed))  # a null draw equal to the observed value, up to rounding, counts
    return float((1 + np.sum(null >= observed - tol)) / (1 + null.size))
