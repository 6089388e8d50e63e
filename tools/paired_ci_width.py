"""How much narrower is a drop's CI when the levels share their episode seeds? Over the published rows.

For every entry (env, agent label) and shifted level whose episodes all have their partner at `id` (same
checkpoint and episode seed), the 95% CI of the drop from the paired bootstrap
(statistics.paired_drop_percent_bootstrap) against the one that resamples the two levels independently
(statistics.drop_percent_bootstrap), both stratified by checkpoint. Only learned entries count: an agent
that never looks (random, scripted, blind) scores the same on every level of a paired run, which would make
the paired CI trivially zero wide. Where a level was run on fewer checkpoints than `id` (factor rows: the
seed-0 checkpoint; sweep points and factors: 10 of id's 20 episodes), the pairs are those episodes'. Writes a CSV and prints the summary:

    python tools/paired_ci_width.py results/published --out results/scientific_check/paired_ci_widths.csv
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np
import pandas as pd

from pvmbench.benchmark.level_stats import scored_rows
from pvmbench.benchmark.pairing import complete_pairs
from pvmbench.benchmark.statistics import drop_percent_bootstrap, paired_drop_percent_bootstrap
from pvmbench.leaderboard.rows import load_results

REPS = 2000


def _width(dist: np.ndarray) -> float:
    finite = dist[np.isfinite(dist)]
    if finite.size < 0.95 * dist.size:
        return float("nan")
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(high - low)


def widths(rows: pd.DataFrame) -> pd.DataFrame:
    scored = scored_rows(rows)
    learned = scored["checkpoint_sha256"].astype(str).ne("") & ~scored["agent"].isin(["blind"])
    scored = scored[learned]
    records = []
    for (env, label), entry in scored.groupby(["env_id", "agent_label"], sort=True):
        at_id = entry[entry["level"] == "id"].drop_duplicates(["checkpoint_sha256", "episode_seed"])
        for level, at_level in entry[entry["level"] != "id"].groupby("level", sort=True):
            # A level run with fewer episodes (sweep points, factors: 10 of id's 20) pairs with those seeds.
            keys = ["checkpoint_sha256", "episode_seed"]
            partners = at_id.merge(at_level[keys].drop_duplicates(), on=keys)
            pairs = complete_pairs(partners, at_level)
            if pairs is None or pairs["normalised_score_id"].mean() <= 0:
                continue
            ids, shifted = pairs["normalised_score_id"].to_numpy(float), pairs["normalised_score"].to_numpy(float)
            strata = pairs["checkpoint_sha256"].to_numpy()
            paired = _width(paired_drop_percent_bootstrap(ids, shifted, strata, REPS, 0))
            independent = _width(drop_percent_bootstrap(ids, shifted, strata, strata, REPS, 0))
            records.append({"env_id": env, "agent_label": label, "level": level, "pairs": len(pairs),
                            "paired_width": paired, "independent_width": independent,
                            "ratio": paired / independent if independent > 0 else np.nan})
    return pd.DataFrame(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    table = widths(load_results([args.results]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.4f")
    ratio = table["ratio"].dropna()
    print(f"{len(ratio)} drops with complete pairs: paired CI narrower in {(ratio < 1).sum()}, "
          f"median width ratio {ratio.median():.2f} (IQR {ratio.quantile(0.25):.2f}-{ratio.quantile(0.75):.2f})")


if __name__ == "__main__":
    main()
