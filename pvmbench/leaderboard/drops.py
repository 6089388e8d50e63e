"""The study's question, per entry: how much of its in-distribution score does an agent keep under a shift?

One row per (env, agent label, level): the mean normalised score with its 95% CI stratified by
checkpoint (the seeds of an entry), the drop relative to ID with its own CI (pairing.drop_ci: paired
over (checkpoint, episode seed) when every episode has its partner at `id`), and the per-seed means, so a reader sees whether seeds agree. Built-in agents (no checkpoint) and the blind
baseline are left out, and
so are failed episodes and those with a non-finite score (`level_stats.scored_rows`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.benchmark.level_stats import level_stats, scored_rows
from pvmbench.benchmark.pairing import drop_bootstrap, drop_ci
from pvmbench.benchmark.statistics import permutation_test, probability_of_improvement_ci
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
            drop = lo = hi = np.nan
            paired = False
            if level != "id" and not at_id.empty:
                drop, lo, hi, paired = drop_ci(at_id, at_level, reps=reps, random_state=random_state)
            per_seed = at_level.groupby("checkpoint_sha256", sort=True)["normalised_score"].mean()
            records.append({"env_id": env_id, "agent_label": label, "level": level, "seeds": len(per_seed),
                            "episodes": stats.n, "score": stats.score, "score_ci_low": stats.score_ci_low,
                            "score_ci_high": stats.score_ci_high, "drop_pct": drop, "drop_ci_low": lo,
                            "drop_ci_high": hi, "paired": paired, "per_seed": ", ".join(f"{v:.3f}" for v in per_seed)})
    return pd.DataFrame.from_records(records)


def versus_baseline(rows: pd.DataFrame, level: str = "hard", reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Each entry against the scratch CNN of its env at ``level``: the difference of drops (entry minus
    baseline; negative = the entry keeps more) with a bootstrap CI, a one-sided permutation p-value that the
    entry's score at ``level`` is higher than the baseline's, and the probability of improvement
    P(entry > baseline) at ``level`` (rliable's P(X > Y) over episodes) with its CI."""
    scored = _scored(rows)
    records = []
    for env_id, env_rows in scored.groupby("env_id", sort=True):
        samples = {}
        for label, entry in env_rows.groupby("agent_label", sort=True):
            entry = entry.sort_values(["checkpoint_sha256", "level", "episode_index"], kind="stable")
            at_id, at_level = entry[entry["level"] == "id"], entry[entry["level"] == level]
            if at_id.empty or at_level.empty:
                continue
            point, drops, _ = drop_bootstrap(at_id, at_level, reps=reps, random_state=random_state)
            samples[label] = (drops, at_level["normalised_score"].to_numpy(float), point,
                              at_level["checkpoint_sha256"].to_numpy())
        if BASELINE not in samples:
            continue
        base_drops, base_scores, base_point, base_strata = samples[BASELINE]
        for label, (drops, scores, point, strata) in samples.items():
            if label == BASELINE:
                continue
            difference = drops - base_drops
            finite = difference[np.isfinite(difference)]
            lo, hi = (np.percentile(finite, [2.5, 97.5]) if finite.size > 0.95 * difference.size else (np.nan, np.nan))
            p_x, p_lo, p_hi = probability_of_improvement_ci(scores, base_scores, strata, base_strata, reps=reps,
                                                            random_state=random_state)
            records.append({"env_id": env_id, "agent_label": label, "level": level,
                            "drop_difference_pct": point - base_point,
                            "ci_low": float(lo), "ci_high": float(hi), "p_improvement": p_x,
                            "p_improvement_ci_low": p_lo, "p_improvement_ci_high": p_hi,
                            "p_score_higher": permutation_test(base_scores, scores, alternative="greater",
                                                               random_state=random_state)})
    return pd.DataFrame.from_records(records)


def versus_markdown(table: pd.DataFrame) -> str:
    lines = [f"| env | agent | drop minus {BASELINE}'s drop, at hard [95% CI] | p (hard score > {BASELINE}'s) "
             f"| P(agent > {BASELINE}) at hard [95% CI] |",
             "|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.env_id.split('/')[-1]} | {r.agent_label} | {r.drop_difference_pct:+.1f} points "
                     f"[{r.ci_low:+.1f}, {r.ci_high:+.1f}] | {r.p_score_higher:.4f} "
                     f"| {r.p_improvement:.2f} [{r.p_improvement_ci_low:.2f}, {r.p_improvement_ci_high:.2f}] |")
    return "\n".join(lines) + "\n"


def drop_markdown(table: pd.DataFrame) -> str:
    lines = ["| env | agent | level | seeds × episodes | score [95% CI] | drop vs id [95% CI] | per-seed means |",
             "|---|---|---|---|---|---|---|"]
    # A paired CI (common episode seeds with id) is marked with a dagger, so a reader knows which is which.
    for r in table.itertuples():
        drop = "" if np.isnan(r.drop_pct) else (f"{r.drop_pct:.1f}% [{_fmt(r.drop_ci_low)}, {_fmt(r.drop_ci_high)}]"
                                                + ("†" if r.paired else ""))
        lines.append(f"| {r.env_id.split('/')[-1]} | {r.agent_label} | {r.level} | {r.seeds} × "
                     f"{r.episodes // max(r.seeds, 1)} | {r.score:.3f} [{r.score_ci_low:.3f}, {r.score_ci_high:.3f}] "
                     f"| {drop} | {r.per_seed} |")
    if table["paired"].any():
        lines.append("\n† paired over episode seeds with id (common random numbers).")
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return "undefined" if np.isnan(value) else ("inf" if np.isinf(value) else f"{value:.1f}%")
