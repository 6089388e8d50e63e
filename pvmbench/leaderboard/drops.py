"""The study's question, per entry: how much of its in-distribution score does an agent keep under a shift?

One row per (env, agent label, level): the mean normalised score with its 95% CI stratified by
checkpoint (the seeds of an entry), the drop relative to ID with its own CI (drop_percent_ci), and the
per-seed means, so a reader sees whether seeds agree. Built-in agents (no checkpoint) and the blind
baseline are left out, and
so are failed episodes and those with a non-finite score (`level_stats.scored_rows`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.benchmark.level_stats import level_stats, scored_rows
from pvmbench.benchmark.statistics import (
    drop_percent,
    drop_percent_bootstrap,
    drop_percent_ci,
    permutation_test,
)
from pvmbench.shifts.spec import LEVELS

BASELINE = "cnn/scratch"


def _scored(rows: pd.DataFrame) -> pd.DataFrame:
    # A built-in agent has no checkpoint, hence no seeds to compare; the blind baseline's checkpoint is one
    # constant action, nothing learned. Drops are between the named levels.
    scored = scored_rows(rows)
    learned = scored["checkpoint_sha256"].astype(str).ne("")
    if "agent" in scored.columns:
        learned &= scored["agent"].ne("blind")
    return scored[learned & scored["level"].isin(LEVELS)]


def drop_table(rows: pd.DataFrame, reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    scored = _scored(rows)
    records = []
    for (env_id, label), entry in scored.groupby(["env_id", "agent_label"], sort=True):
        entry = entry.sort_values(["checkpoint_sha256", "level", "episode_index"], kind="stable")
        at_id = entry[entry["level"] == "id"]
        # The levels the entry has, in LEVELS order.
        for stats in level_stats(entry, "checkpoint_sha256", reps=reps, random_state=random_state).itertuples():
            level = stats.level
            at_level = entry[entry["level"] == level]
            scores, strata = at_level["normalised_score"].to_numpy(float), at_level["checkpoint_sha256"].to_numpy()
            drop = lo = hi = np.nan
            if level != "id" and not at_id.empty:
                drop, lo, hi = drop_percent_ci(at_id["normalised_score"].to_numpy(float), scores,
                                               at_id["checkpoint_sha256"].to_numpy(), strata, reps=reps,
                                               random_state=random_state)
            per_seed = at_level.groupby("checkpoint_sha256", sort=True)["normalised_score"].mean()
            records.append({"env_id": env_id, "agent_label": label, "level": level, "seeds": len(per_seed),
                            "episodes": stats.n, "score": stats.score, "score_ci_low": stats.score_ci_low,
                            "score_ci_high": stats.score_ci_high, "drop_pct": drop, "drop_ci_low": lo,
                            "drop_ci_high": hi, "per_seed": ", ".join(f"{v:.3f}" for v in per_seed)})
    return pd.DataFrame.from_records(records)


def versus_baseline(rows: pd.DataFrame, level: str = "hard", reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Each entry against the scratch CNN of its env at ``level``: the difference of drops (entry minus
    baseline; negative = the entry keeps more) with a bootstrap CI, and a one-sided permutation p-value
    that the entry's score at ``level`` is higher than the baseline's."""
    scored = _scored(rows)
    records = []
    for env_id, env_rows in scored.groupby("env_id", sort=True):
        samples = {}
        for label, entry in env_rows.groupby("agent_label", sort=True):
            entry = entry.sort_values(["checkpoint_sha256", "level", "episode_index"], kind="stable")
            at_id, at_level = entry[entry["level"] == "id"], entry[entry["level"] == level]
            if at_id.empty or at_level.empty:
                continue
            drops = drop_percent_bootstrap(at_id["normalised_score"].to_numpy(float),
                                           at_level["normalised_score"].to_numpy(float),
                                           at_id["checkpoint_sha256"].to_numpy(), at_level["checkpoint_sha256"].to_numpy(),
                                           reps=reps, random_state=random_state)
            point = drop_percent(at_id["normalised_score"].mean(), at_level["normalised_score"].mean())
            samples[label] = (drops, at_level["normalised_score"].to_numpy(float), point)
        if BASELINE not in samples:
            continue
        base_drops, base_scores, base_point = samples[BASELINE]
        for label, (drops, scores, point) in samples.items():
            if label == BASELINE:
                continue
            difference = drops - base_drops
            finite = difference[np.isfinite(difference)]
            lo, hi = (np.percentile(finite, [2.5, 97.5]) if finite.size > 0.95 * difference.size else (np.nan, np.nan))
            records.append({"env_id": env_id, "agent_label": label, "level": level,
                            "drop_difference_pct": point - base_point,
                            "ci_low": float(lo), "ci_high": float(hi),
                            "p_score_higher": permutation_test(base_scores, scores, alternative="greater",
                                                               random_state=random_state)})
    return pd.DataFrame.from_records(records)


def versus_markdown(table: pd.DataFrame) -> str:
    lines = [f"| env | agent | drop minus {BASELINE}'s drop, at hard [95% CI] | p (hard score > {BASELINE}'s) |",
             "|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.env_id.split('/')[-1]} | {r.agent_label} | {r.drop_difference_pct:+.1f} points "
                     f"[{r.ci_low:+.1f}, {r.ci_high:+.1f}] | {r.p_score_higher:.4f} |")
    return "\n".join(lines) + "\n"


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
