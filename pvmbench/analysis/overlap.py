"""Agreement between a saliency map and an object mask, with its chance level and a shuffled null.

object_precision: the share of the K most salient pixels that lie on the object, with K the object's
own pixel count (so precision = recall). A map that is the mask scores 1, the ceiling; a uniform map
scores K / N, the object's share of the frame (chance). Pixels tied at the cut-off share the remaining
places, so a map that is zero on most of the frame (Grad-CAM keeps only positive evidence) gets the
expected score of random tie-breaking and an all-zero map scores exactly chance: neither is dropped,
and neither profits from the pixel order. This replaces the Jaccard of a fixed top 10%, whose best
value was the mask's area / 10% (0.07-0.09 for these objects) rather than 1.

shuffled_mask_null: the same score with each map paired with the mask of another frame of its stratum
(level). Objects sit where the layout puts them and encoders have centre biases, so this null is the
fair floor, and chance (the uniform map) is the weaker one.
"""

from __future__ import annotations

import numpy as np

from pvmbench.analysis.stats import add_one_p


def object_precision(saliency: np.ndarray, mask: np.ndarray) -> float:
    """Expected share of the |mask| most salient pixels on the mask (ties broken at random); NaN for an
    empty mask."""
    s, m = np.asarray(saliency, dtype=np.float64).ravel(), np.asarray(mask, dtype=bool).ravel()
    if s.shape != m.shape:
        raise ValueError(f"saliency and mask differ in size: {s.shape} and {m.shape}")
    k = int(m.sum())
    if k == 0:
        return float("nan")
    cut = np.partition(s, s.size - k)[s.size - k]  # the K-th largest value
    above, tied = s > cut, s == cut
    hits = np.sum(above & m) + (k - above.sum()) * np.sum(tied & m) / tied.sum()
    return float(hits / k)


def precision_matrix(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(N, N): object_precision of map i against mask j."""
    return np.array([[object_precision(s, m) for m in masks] for s in maps])


def shuffled_mask_null(scores: np.ndarray, strata=None, reps: int = 2000, seed: int = 0) -> dict:
    """From precision_matrix output: `observed` (mean diagonal), `null` (mean over pairs i != j of one
    stratum: the expected score of a map against another frame's mask) and `p`, the add-one p-value of
    the observed mean against `reps` random re-pairings of maps and masks within strata."""
    scores = np.asarray(scores, dtype=np.float64)
    n = len(scores)
    strata = np.zeros(n, dtype=int) if strata is None else np.asarray(strata)
    same = (strata[:, None] == strata[None, :]) & ~np.eye(n, dtype=bool)
    observed = float(np.mean(np.diag(scores)))
    if not same.any():
        return {"observed": observed, "null": float("nan"), "p": float("nan")}
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    draws = np.empty(reps)
    for r in range(reps):
        partner = np.empty(n, dtype=int)
        for g in groups:
            partner[g] = rng.permutation(g)
        draws[r] = scores[np.arange(n), partner].mean()
    return {"observed": observed, "null": float(scores[same].mean()), "p": add_one_p(observed, draws)}
