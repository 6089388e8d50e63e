"""Which factor breaks an agent: per-factor drops on paired episodes, computed from result rows.

A factor level (`factor=<name>`) draws its episodes from the `id` seed stream, so each of its episodes has
a partner at `id` with the same episode seed (the same objects, poses, start state and traffic; only that
factor differs). Rows are paired on (entry, checkpoint, episode seed), across result files, and each
factor's drop 100 (1 - factor / id) gets a paired bootstrap CI (statistics.paired_drop_percent_ci).
Failed and non-finite episodes drop out of their pair (level_stats.scored_rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.benchmark.level_stats import scored_rows
from pvmbench.benchmark.statistics import paired_drop_percent_ci
from pvmbench.leaderboard.rows import ENTRY_KEYS
from pvmbench.shifts.spec import FACTOR

FACTOR_COLUMNS = (*ENTRY_KEYS, "factor", "pairs", "seeds", "id_score", "factor_score", "drop_pct", "drop_ci_low",
                  "drop_ci_high", "worst")
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
        records.append({**dict(zip(ENTRY_KEYS, entry, strict=True)), "factor": name[len(FACTOR):],
                        "pairs": len(group), "seeds": group["checkpoint_sha256"].nunique(),
                        "id_score": float(ids.mean()), "factor_score": float(shifted.mean()), "drop_pct": drop,
                        "drop_ci_low": low, "drop_ci_high": high})
    table = pd.DataFrame(records, columns=list(FACTOR_COLUMNS))
    table["worst"] = False
    for _, group in table.groupby(list(ENTRY_KEYS), sort=False):
        drops = group["drop_pct"].to_numpy(float)
        if np.isfinite(drops).sum() > 1:  # "worst" of one factor says nothing
            table.loc[group.index[int(np.nanargmax(drops))], "worst"] = True
    return table.reset_index(drop=True)
