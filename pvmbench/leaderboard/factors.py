"""Which factor breaks an agent: per-factor drops on paired episodes, computed from result rows.

A factor level (`factor=<name>`) draws its episodes from the `id` seed stream, so each of its episodes has
a partner at `id` with the same episode seed (the same objects, poses, start state and traffic; only that
factor differs). Rows are paired on (entry, checkpoint, episode seed), across result files, and each
factor's drop 100 (1 - factor / id) gets a paired bootstrap CI (statistics.paired_drop_percent_ci).
Failed and non-finite episodes drop out of their pair (level_stats.scored_rows).

The interaction check sets the sum of the single-factor drops beside the drop at `hard`, where every factor
moves at once: on the episode seeds scored at `id`, `hard` and every factor (all levels of a run share their
seeds), with one joint bootstrap over those seeds, so a user sees whether the factors compound (hard above
the sum), overlap (below it) or add up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.benchmark.level_stats import scored_rows
from pvmbench.benchmark.statistics import paired_drop_percent_ci, resample_indices
from pvmbench.leaderboard.rows import ENTRY_KEYS
from pvmbench.shifts.spec import FACTOR

FACTOR_COLUMNS = (*ENTRY_KEYS, "factor", "kind", "pairs", "seeds", "id_score", "factor_score", "drop_pct",
                  "drop_ci_low", "drop_ci_high", "worst")
# The interaction check's two columns, beside the factors: do the factors compound under `hard`?
SUM_OF_FACTORS, ALL_AT_ONCE = "sum of factors", "hard (all at once)"
PAIR_KEYS = [*ENTRY_KEYS, "checkpoint_sha256", "episode_seed"]


def factor_table(rows: pd.DataFrame, reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """One row per entry and factor (columns FACTOR_COLUMNS); `worst` marks each entry's largest drop, where
    the entry has at least two factors with a drop."""
    scored = scored_rows(rows)
    level = scored["level"].astype(str)
    at_id = scored[level == "id"].drop_duplicates(PAIR_KEYS)
    factors = scored[level.str.startswith(FACTOR) & ~level.str.contains("@", regex=False)]
    if factors.empty:
        return pd.DataFrame(columns=list(FACTOR_COLUMNS))
    pairs = factors.merge(at_id[[*PAIR_KEYS, "normalised_score"]], on=PAIR_KEYS, suffixes=("", "_id"))
    records = []
    for (*entry, name), group in pairs.groupby([*ENTRY_KEYS, "level"], sort=True):
        group = group.sort_values(["checkpoint_sha256", "episode_seed"], kind="stable")  # order-independent
        ids, shifted = group["normalised_score_id"].to_numpy(float), group["normalised_score"].to_numpy(float)
        drop, low, high = paired_drop_percent_ci(ids, shifted, reps=reps, random_state=random_state)
        if np.isnan(low):  # the ID score's resamples reach 0: a relative drop of nothing is noise, not a number
            drop = np.nan
        records.append({**dict(zip(ENTRY_KEYS, entry, strict=True)), "factor": name[len(FACTOR):], "kind": "factor",
                        "pairs": len(group), "seeds": group["checkpoint_sha256"].nunique(),
                        "id_score": float(ids.mean()), "factor_score": float(shifted.mean()), "drop_pct": drop,
                        "drop_ci_low": low, "drop_ci_high": high})
    records += _interactions(scored, reps, random_state)
    table = pd.DataFrame(records, columns=list(FACTOR_COLUMNS))
    table["worst"] = False
    for _, group in table[table["kind"] == "factor"].groupby(list(ENTRY_KEYS), sort=False):
        drops = group["drop_pct"].to_numpy(float)
        # "Worst" of one factor says nothing, and neither does the largest of drops that are all zero or gains
        # (an agent that never looks scores the same under every factor).
        if np.isfinite(drops).sum() > 1 and np.nanmax(drops) > 0:
            table.loc[group.index[int(np.nanargmax(drops))], "worst"] = True
    return table.reset_index(drop=True)


def _interactions(scored: pd.DataFrame, reps: int, random_state: int) -> list[dict]:
    """Per entry with `hard` and two or more factors on common seeds: the sum of factor drops and the drop at
    `hard`, each with a CI from one joint bootstrap over (checkpoint, episode seed)."""
    level = scored["level"].astype(str)
    wanted = scored[(level == "id") | (level == "hard") | (level.str.startswith(FACTOR) & ~level.str.contains("@"))]
    records = []
    for entry, group in wanted.groupby(list(ENTRY_KEYS), sort=True):
        wide = group.pivot_table(index=["checkpoint_sha256", "episode_seed"], columns="level",
                                 values="normalised_score", aggfunc="first").dropna()  # seeds scored everywhere
        factor_cols = [c for c in wide.columns if str(c).startswith(FACTOR)]
        if wide.empty or "id" not in wide or "hard" not in wide or len(factor_cols) < 2:
            continue
        wide = wide.sort_index()
        strata = wide.index.get_level_values("checkpoint_sha256").to_numpy()
        idx = resample_indices(len(wide), strata, reps, np.random.default_rng(random_state))
        values = wide[["id", "hard", *factor_cols]].to_numpy(float)
        means = values[idx].mean(axis=1)  # (reps, columns)
        point = values.mean(axis=0)
        for name, pick in ((SUM_OF_FACTORS, slice(2, None)), (ALL_AT_ONCE, slice(1, 2))):
            drop = _summed_drop(point[None], pick)[0]
            dist = _summed_drop(means, pick)
            low = high = np.nan
            if np.isfinite(dist).mean() >= 0.975:
                low, high = np.percentile(dist[np.isfinite(dist)], [2.5, 97.5])
            records.append({**dict(zip(ENTRY_KEYS, entry, strict=True)), "factor": name, "kind": "interaction",
                            "pairs": len(wide), "seeds": len(set(strata)), "id_score": float(point[0]),
                            "factor_score": float(point[pick].sum() if name == ALL_AT_ONCE else np.nan),
                            "drop_pct": drop if np.isfinite(low) else np.nan, "drop_ci_low": low,
                            "drop_ci_high": high})
    return records


def _summed_drop(means: np.ndarray, pick: slice) -> np.ndarray:
    """Sum over the picked columns of 100 (1 - column / id); inf where the id mean is not positive."""
    ids = means[:, 0]
    defined = ids > 0
    drops = 100.0 * (1.0 - means[:, pick] / np.where(defined, ids, 1.0)[:, None])
    return np.where(defined, drops.sum(axis=1), np.inf)
