"""The study's question, per entry: how much of its in-distribution score does an agent keep under a shift?

One row per (env, agent label, level): the mean normalised score with its 95% CI stratified by
checkpoint (the seeds of an entry), the drop relative to ID with its own CI (drop_percent_ci), and the
per-seed means, so a reader sees whether seeds agree. Built-in agents (no checkpoint) are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.benchmark.statistics import drop_percent_ci, summarise

LEVELS = ("id", "easy", "hard")


def drop_table(rows: pd.DataFrame, reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    scored = rows[(rows["status"] != "failed") & rows["checkpoint_sha256"].astype(str).ne("")
                  & np.isfinite(rows["normalised_score"].to_numpy(float)) & rows["level"].isin(LEVELS)]
    records = []
    for (env_id, label), entry in scored.groupby(["env_id", "agent_label"], sort=True):
        entry = entry.sort_values(["checkpoint_sha256", "level", "episode_index"], kind="stable")
        at_id = entry[entry["level"] == "id"]
        for level in LEVELS:
            at_level = entry[entry["level"] == level]
            if at_level.empty:
                continue
            scores, strata = at_level["normalised_score"].to_numpy(float), at_level["checkpoint_sha256"].to_numpy()
            stats = summarise(scores, strata=strata, reps=reps, random_state=random_state)
            drop = lo = hi = np.nan
            if level != "id" and not at_id.empty:
                drop, lo, hi = drop_percent_ci(at_id["normalised_score"].to_numpy(float), scores,
                                               at_id["checkpoint_sha256"].to_numpy(), strata, reps=reps,
                                               random_state=random_state)
            per_seed = at_level.groupby("checkpoint_sha256", sort=True)["normalised_score"].mean()
            records.append({"env_id": env_id, "agent_label": label, "level": level, "seeds": len(per_seed),
                            "episodes": len(at_level), "score": stats["mean"], "score_ci_low": stats["mean_ci_low"],
                            "score_ci_high": stats["mean_ci_high"], "drop_pct": drop, "drop_ci_low": lo,
                            "drop_ci_high": hi, "per_seed": ", ".join(f"{v:.3f}" for v in per_seed)})
    return pd.DataFrame.from_records(records)


def drop_markdown(table: pd.DataFrame) -> str:
    lines = ["| env | agent | level | seeds × episodes | score [95% CI] | drop vs id [95% CI] | per-seed means |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        drop = "" if np.isnan(r.drop_pct) else f"{r.drop_pct:.1f}% [{_fmt(r.drop_ci_low)}, {_fmt(r.drop_ci_high)}]"
        lines.append(f"| {r.env_id.split('/')[-1]} | {r.agent_label} | {r.level} | {r.seeds} × "
                     f"{r.episodes // max(r.seeds, 1)} | {r.score:.3f} [{r.score_ci_low:.3f}, {r.score_ci_high:.3f}] "
                     f"| {drop} | {r.per_seed} |")
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return "undefined" if np.isnan(value) else ("inf" if np.isinf(value) else f"{value:.1f}%")
