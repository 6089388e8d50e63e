"""Statistics over per-episode scores: computation only, no plotting and no I/O.

Definitions follow Agarwal et al. 2021, "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (the rliable library), re-implemented on numpy/scipy because rliable 1.2 does not import
with pandas 3:

- normalised score: (R - R_random) / (R_max - R_random), so 0 is a random policy and 1 the best return.
- mean, and IQM (interquartile mean): the mean of the middle 50% of the flattened scores, i.e.
  ``scipy.stats.trim_mean(x, 0.25)``, which drops ``int(0.25 * n)`` scores from each end (whole
  scores, no fractional weighting), exactly as rliable does.
- stratified bootstrap: resample with replacement independently within each stratum (rliable: within
  each task; here e.g. the training seed, checkpoint or level of each episode), keeping each stratum's
  size, apply the statistic to the concatenation; the CI is the percentile interval.
- drop %: 100 * (1 - OOD / ID), the relative loss of score under a shift (can exceed 100).
- breaking point: the lowest severity of a sweep whose score falls below half the ID score.
- permutation test: one- or two-sided test on the difference of means, with the add-one p-value of
  Phipson & Smyth 2010 so that p is never 0.

Randomness comes only from the explicit ``random_state`` (an int seed or a ``numpy.random.Generator``);
nothing reads or writes numpy's global RNG.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

import numpy as np
from scipy import stats as _sps

# Resamples are drawn in blocks of at most this many elements (32 MiB of float64), so that thousands of
# episodes times thousands of reps do not need one huge array; blocks are vectorised, never per rep.
_BLOCK_ELEMS = 1 << 22


def normalised_score(returns, r_random: float, r_max: float) -> np.ndarray | float:
    """(R - R_random) / (R_max - R_random); a float for a scalar ``returns``, else an array."""
    if not (np.isfinite(r_random) and np.isfinite(r_max)):
        raise ValueError(f"normalisation bounds must be finite, got r_random={r_random}, r_max={r_max}")
    if r_max <= r_random:
        raise ValueError(f"r_max ({r_max}) must be greater than r_random ({r_random})")
    out = (np.asarray(returns, dtype=float) - r_random) / (r_max - r_random)
    return float(out) if out.ndim == 0 else out


def _nonempty(x, name: str = "scores") -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a statistic needs at least one episode")
    return arr


def mean(x, axis: int | None = None):
    """Arithmetic mean; over all values (flattened) when ``axis`` is None."""
    out = np.mean(_nonempty(x), axis=axis)
    return float(out) if np.ndim(out) == 0 else out


def iqm(x, axis: int | None = None):
    """Interquartile mean as in rliable: trim_mean(x, 0.25), over all values when ``axis`` is None."""
    out = _sps.trim_mean(_nonempty(x), 0.25, axis=axis)
    return float(out) if np.ndim(out) == 0 else out


def _rng(random_state) -> np.random.Generator:
    # None would silently draw OS entropy and make results irreproducible, so it is refused.
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise TypeError(f"random_state must be an int seed or a numpy Generator, got {random_state!r}")


def _finite_1d(x, name: str) -> np.ndarray:
    arr = _nonempty(x, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per episode), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; drop or fix those episodes first")
    return arr


def _accepts_axis(statistic: Callable) -> bool:
    try:
        return "axis" in inspect.signature(statistic).parameters
    except (TypeError, ValueError):  # some builtins/ufuncs expose no signature
        return False


def _apply_rows(statistic: Callable, samples: np.ndarray) -> np.ndarray:
    # A statistic with an `axis` argument (np.mean, iqm, np.median...) reduces all rows in one call;
    # anything else falls back to one call per row, which is correct but slow.
    if _accepts_axis(statistic):
        out = np.asarray(statistic(samples, axis=1), dtype=float)
    else:
        out = np.apply_along_axis(lambda row: float(statistic(row)), 1, samples)
    if out.shape != (samples.shape[0],):
        raise ValueError(f"statistic must reduce each resample to one number, got shape {out.shape}")
    return out


def _bootstrap_stats(scores, statistics, strata, reps: int, random_state) -> list[np.ndarray]:
    """Bootstrap distribution of each statistic, all computed on the same resamples."""
    x = _finite_1d(scores, "scores")
    n = x.size
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if strata is None:
        groups = [np.arange(n)]
    else:
        labels = np.asarray(strata)
        if labels.shape != (n,):
            raise ValueError(f"strata must have one label per score ({n}), got shape {labels.shape}")
        _, inverse = np.unique(labels, return_inverse=True)
        groups = [np.flatnonzero(inverse == k) for k in range(inverse.max() + 1)]
    rng = _rng(random_state)
    out: list[list[np.ndarray]] = [[] for _ in statistics]
    rows = max(1, _BLOCK_ELEMS // n)
    for start in range(0, reps, rows):
        m = min(rows, reps - start)
        # Each stratum draws only its own positions, so resamples never mix strata and keep their sizes.
        idx = np.concatenate([g[rng.integers(0, g.size, size=(m, g.size))] for g in groups], axis=1)
        samples = x[idx]
        for acc, stat in zip(out, statistics, strict=True):
            acc.append(_apply_rows(stat, samples))
    return [np.concatenate(acc) for acc in out]


def _percentile_ci(dist: np.ndarray, confidence: float) -> tuple[float, float]:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    tail = 100.0 * (1.0 - confidence) / 2.0
    lo, hi = np.percentile(dist, [tail, 100.0 - tail])
    return float(lo), float(hi)


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Callable = mean,
    strata: np.ndarray | None = None,
    reps: int = 2000,
    confidence: float = 0.95,
    random_state: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile CI of ``statistic`` under the stratified bootstrap (rliable's StratifiedBootstrap).

    ``scores`` is 1-D, one value per episode; ``strata`` gives each episode's stratum label (seed,
    checkpoint, level...). Each stratum is resampled with replacement at its own size and the statistic
    is applied to the concatenation; ``strata=None`` is the ordinary bootstrap. ``statistic`` is
    vectorised when it takes an ``axis`` argument. A single episode (or strata of one episode each)
    gives the degenerate CI (x, x). A Generator ``random_state`` is advanced, so repeated calls with the
    same Generator differ; an int seed always gives the same CI.
    """
    _percentile_ci(np.zeros(1), confidence)  # validate before doing the work
    (dist,) = _bootstrap_stats(scores, [statistic], strata, reps, random_state)
    return _percentile_ci(dist, confidence)


def summarise(scores, strata=None, reps: int = 2000, random_state: int | np.random.Generator = 0) -> dict:
    """n, mean and IQM of the scores, each with a 95% stratified-bootstrap percentile CI.

    Both CIs come from the same resamples (one draw, two statistics).
    """
    x = _finite_1d(scores, "scores")
    mean_dist, iqm_dist = _bootstrap_stats(x, [mean, iqm], strata, reps, random_state)
    mean_lo, mean_hi = _percentile_ci(mean_dist, 0.95)
    iqm_lo, iqm_hi = _percentile_ci(iqm_dist, 0.95)
    return {
        "n": int(x.size),
        "mean": mean(x),
        "mean_ci_low": mean_lo,
        "mean_ci_high": mean_hi,
        "iqm": iqm(x),
        "iqm_ci_low": iqm_lo,
        "iqm_ci_high": iqm_hi,
    }


def drop_percent(id_score: float, ood_score: float) -> float:
    """Relative drop 100 * (1 - OOD / ID), as in the study; > 100 when the OOD score is negative.

    Returns nan when ``id_score <= 0``: the drop is undefined when the ID score is not positive (the
    agent did no better than random in distribution, so there is nothing to lose, and the ratio would
    flip sign or divide by zero).
    """
    if not id_score > 0:  # also catches nan
        return float("nan")
    return 100.0 * (1.0 - ood_score / id_score)


def drop_percent_bootstrap(id_scores, ood_scores, id_strata=None, ood_strata=None, reps: int = 2000,
                           random_state: int | np.random.Generator = 0) -> np.ndarray:
    """Bootstrap distribution of ``drop_percent`` of the two means (``reps`` values).

    ID and OOD episodes are different scenarios, so the two samples are resampled independently (each
    stratified by its strata, e.g. the checkpoint of each episode). A resample whose ID mean is not
    positive has no finite drop (the ID score fell to random): it is +inf, an unbounded relative drop.
    """
    rng = _rng(random_state)
    (id_dist,) = _bootstrap_stats(id_scores, [mean], id_strata, reps, rng)
    (ood_dist,) = _bootstrap_stats(ood_scores, [mean], ood_strata, reps, rng)
    defined = id_dist > 0
    return np.where(defined, 100.0 * (1.0 - ood_dist / np.where(defined, id_dist, 1.0)), np.inf)


def drop_percent_ci(
    id_scores, ood_scores, id_strata=None, ood_strata=None, reps: int = 2000, confidence: float = 0.95,
    random_state: int | np.random.Generator = 0,
) -> tuple[float, float, float]:
    """(drop, CI low, CI high): ``drop_percent`` of the two means with a percentile CI from
    ``drop_percent_bootstrap``. If more resamples than the CI's tail share have no finite drop, the
    interval is undefined and comes back as nan."""
    drops = drop_percent_bootstrap(id_scores, ood_scores, id_strata, ood_strata, reps, random_state)
    point = drop_percent(mean(_finite_1d(id_scores, "id_scores")), mean(_finite_1d(ood_scores, "ood_scores")))
    if np.isinf(drops).mean() > (1.0 - confidence) / 2.0:
        return point, float("nan"), float("nan")
    lo, hi = _percentile_ci(drops, confidence)
    return point, lo, hi


def paired_drop_percent_bootstrap(id_scores, ood_scores, strata=None, reps: int = 2000,
                                  random_state: int | np.random.Generator = 0) -> np.ndarray:
    """Bootstrap distribution of the drop for paired episodes: ``id_scores[i]`` and ``ood_scores[i]`` are
    the same episode seed (the same scenario draws) with only the shifted factors changed, so pairs are
    resampled together (common random numbers) and the variance the two levels share cancels out of the
    drop. ``strata`` (one label per pair, e.g. the checkpoint) resamples pairs within each stratum."""
    a, b = _finite_1d(id_scores, "id_scores"), _finite_1d(ood_scores, "ood_scores")
    if a.shape != b.shape:
        raise ValueError(f"paired scores need equal lengths, got {a.shape} and {b.shape}")
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    # One resample of pair indices serves both sides, so a pair is always drawn whole.
    idx = resample_indices(a.size, strata, reps, _rng(random_state))
    id_dist, ood_dist = a[idx].mean(axis=1), b[idx].mean(axis=1)
    defined = id_dist > 0
    return np.where(defined, 100.0 * (1.0 - ood_dist / np.where(defined, id_dist, 1.0)), np.inf)


def paired_drop_percent_ci(id_scores, ood_scores, strata=None, reps: int = 2000, confidence: float = 0.95,
                           random_state: int | np.random.Generator = 0) -> tuple[float, float, float]:
    """(drop, CI low, CI high) for paired episodes, from ``paired_drop_percent_bootstrap``; as for
    ``drop_percent_ci``, the interval is nan when too many resamples have no finite drop."""
    drops = paired_drop_percent_bootstrap(id_scores, ood_scores, strata, reps, random_state)
    point = drop_percent(mean(_finite_1d(id_scores, "id_scores")), mean(_finite_1d(ood_scores, "ood_scores")))
    if np.isinf(drops).mean() > (1.0 - confidence) / 2.0:
        return point, float("nan"), float("nan")
    lo, hi = _percentile_ci(drops, confidence)
    return point, lo, hi


def probability_of_improvement(x, y) -> float:
    """P(X > Y) of Agarwal et al. 2021 (rliable's probability of improvement) on one task: the chance that
    an episode score of X beats one of Y, ties counting half (the Mann-Whitney U statistic over n*m)."""
    a, b = _finite_1d(x, "x"), _finite_1d(y, "y")
    u = _sps.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic").statistic
    return float(u) / (a.size * b.size)


def probability_of_improvement_ci(x, y, x_strata=None, y_strata=None, reps: int = 2000, confidence: float = 0.95,
                                  random_state: int | np.random.Generator = 0) -> tuple[float, float, float]:
    """(P(X > Y), CI low, CI high): each side resampled within itself (and its strata), as rliable does."""
    a, b = _finite_1d(x, "x"), _finite_1d(y, "y")
    rng = _rng(random_state)
    ia = resample_indices(a.size, x_strata, reps, rng)
    ib = resample_indices(b.size, y_strata, reps, rng)
    dist = np.array([_pairwise_wins(a[ia[r]], b[ib[r]]) for r in range(reps)])
    lo, hi = _percentile_ci(dist, confidence)
    return probability_of_improvement(a, b), lo, hi


def resample_indices(n: int, strata, reps: int, rng: np.random.Generator) -> np.ndarray:
    """(reps, n) indices drawn with replacement within each stratum (None: one stratum)."""
    if strata is not None and np.asarray(strata).shape != (n,):
        raise ValueError(f"strata must have one label per score ({n}), got shape {np.asarray(strata).shape}")
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(np.asarray(strata) == s)
                                                    for s in np.unique(np.asarray(strata))]
    return np.concatenate([g[rng.integers(0, g.size, size=(reps, g.size))] for g in groups], axis=1)


def _pairwise_wins(a: np.ndarray, b: np.ndarray) -> float:
    # Ranks would be faster, but episodes number in the hundreds; the direct count is exact and clear.
    return float(((a[:, None] > b[None, :]) + 0.5 * (a[:, None] == b[None, :])).mean())


def breaking_point_severity(severities, scores, id_score: float) -> float | None:
    """Lowest severity whose score is below half of ``id_score``; None if the sweep never breaks.

    ``severities`` and ``scores`` are parallel (one mean normalised score per severity) and may come in
    any order; they are sorted by severity. Returns nan when ``id_score <= 0``, where "half the ID score"
    is no meaningful threshold (as for :func:`drop_percent`).
    """
    sev = _finite_1d(severities, "severities")
    sc = _finite_1d(scores, "scores")
    if sev.shape != sc.shape:
        raise ValueError(f"severities ({sev.size}) and scores ({sc.size}) must have the same length")
    if np.unique(sev).size != sev.size:
        raise ValueError("severities must be distinct: give one (mean) score per severity")
    if not id_score > 0:
        return float("nan")
    order = np.argsort(sev)
    broken = np.flatnonzero(sc[order] < 0.5 * id_score)
    return float(sev[order][broken[0]]) if broken.size else None


def permutation_test(
    a, b, reps: int = 10000, random_state: int | np.random.Generator = 0, alternative: str = "less"
) -> float:
    """Permutation p-value on d = mean(b) - mean(a); "less" tests mean(b) < mean(a).

    ``alternative`` is "less", "greater" or "two-sided". The pooled scores are relabelled ``reps`` times
    (vectorised in blocks); p = (1 + #{permuted d at least as extreme}) / (reps + 1), Phipson & Smyth's
    estimate, which is never 0 and is valid for a finite number of permutations.
    """
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(f"alternative must be 'less', 'greater' or 'two-sided', got {alternative!r}")
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    xa, xb = _finite_1d(a, "a"), _finite_1d(b, "b")
    pooled = np.concatenate([xa, xb])
    n, na = pooled.size, xa.size
    observed = xb.mean() - xa.mean()
    # Permuted differences equal to the observed one can differ from it by rounding; count them as ties.
    tol = 1e-12 * max(1.0, float(np.abs(pooled).max()))
    rng = _rng(random_state)
    extreme = 0
    rows = max(1, _BLOCK_ELEMS // n)
    for start in range(0, reps, rows):
        m = min(rows, reps - start)
        perm = rng.permuted(np.broadcast_to(pooled, (m, n)), axis=1)
        d = perm[:, na:].mean(axis=1) - perm[:, :na].mean(axis=1)
        if alternative == "less":
            extreme += int(np.count_nonzero(d <= observed + tol))
        elif alternative == "greater":
            extreme += int(np.count_nonzero(d >= observed - tol))
        else:
            extreme += int(np.count_nonzero(np.abs(d) >= abs(observed) - tol))
    return (1 + extreme) / (reps + 1)
