"""A drop with its CI, paired over episode seeds where the rows allow it.

Every level of a run draws its episode seeds from one stream (episodes.seed_stream), so episode i has the
same scenario draws at `id` and at any shift. When every scored episode at the shifted level has exactly
one partner at `id` with the same keys (checkpoint and episode seed) and vice versa, the drop's CI is a
paired bootstrap (statistics.paired_drop_percent_bootstrap); otherwise (rows from before levels were
paired, or a level whose failed episodes broke some pairs) it falls back to resampling the two levels
independently, and says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.benchmark.statistics import (
    drop_percent,
    drop_percent_bootstrap,
    paired_drop_percent_bootstrap,
)

PAIR_KEYS = ("checkpoint_sha256", "episode_seed")


def complete_pairs(at_id: pd.DataFrame, at_level: pd.DataFrame, keys=PAIR_KEYS) -> pd.DataFrame | None:
    """The two levels' rows merged on ``keys`` (columns ``normalised_score_id``, ``normalised_score``),
    sorted by the keys; None unless the keys are unique on each side and both sides hold the same set."""
    keys = [k for k in keys if k in at_id.columns and k in at_level.columns]
    if "episode_seed" not in keys or at_id.empty or at_level.empty:
        return None
    if at_id.duplicated(keys).any() or at_level.duplicated(keys).any() or len(at_id) != len(at_level):
        return None
    merged = at_level.merge(at_id[[*keys, "normalised_score"]], on=keys, suffixes=("", "_id"))
    if len(merged) != len(at_level):
        return None
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)


def drop_bootstrap(at_id: pd.DataFrame, at_level: pd.DataFrame, strata: str | None = "checkpoint_sha256",
                   reps: int = 2000, random_state: int | np.random.Generator = 0) -> tuple[float, np.ndarray, bool]:
    """(drop %, its bootstrap distribution, paired?) of ``at_level`` against ``at_id``."""
    point = drop_percent(float(at_id["normalised_score"].mean()), float(at_level["normalised_score"].mean()))
    pairs = complete_pairs(at_id, at_level)
    if pairs is not None:
        labels = pairs[strata].to_numpy() if strata in pairs.columns else None
        dist = paired_drop_percent_bootstrap(pairs["normalised_score_id"].to_numpy(float),
                                             pairs["normalised_score"].to_numpy(float), labels, reps, random_state)
        return point, dist, True
    id_strata = at_id[strata].to_numpy() if strata in at_id.columns else None
    level_strata = at_level[strata].to_numpy() if strata in at_level.columns else None
    dist = drop_percent_bootstrap(at_id["normalised_score"].to_numpy(float),
                                  at_level["normalised_score"].to_numpy(float), id_strata, level_strata, reps,
                                  random_state)
    return point, dist, False


def drop_ci(at_id: pd.DataFrame, at_level: pd.DataFrame, strata: str | None = "checkpoint_sha256", reps: int = 2000,
            confidence: float = 0.95, random_state: int | np.random.Generator = 0) -> tuple[float, float, float, bool]:
    """(drop %, CI low, CI high, paired?). The CI is nan when more resamples than its tail share have an ID
    mean at or below 0 (no relative drop exists there)."""
    point, dist, paired = drop_bootstrap(at_id, at_level, strata, reps, random_state)
    tail = (1.0 - confidence) / 2.0
    if np.isinf(dist).mean() > tail:
        return point, float("nan"), float("nan"), paired
    lo, hi = np.percentile(dist, [100 * tail, 100 * (1 - tail)])
    return point, float(lo), float(hi), paired
