"""Regression verdicts: new result rows against a published baseline, per (agent_label, env_id, level).

Computation only; `regress_cli` loads, prints and updates. A key is judged on its mean normalised
score with a one-sided permutation test, so that noise from a small episode budget does not fail
CI, and a minimum effect, so that a significant but negligible drop does not either. Before any
score is compared the scenarios are: the same episode seed at the same level must produce the
same scenario, otherwise the suite changed without a version bump and the scores measure
different tasks.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pvmbench.benchmark.statistics import (
    permutation_test,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)
from pvmbench.errors import UserError

KEY = ["agent_label", "env_id", "level"]
FAILING = ("regressed", "scenario changed", "missing")
TABLE_COLUMNS = [*KEY, "baseline", "new", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_improved",
                 "p_improvement", "p_improvement_ci_low", "p_improvement_ci_high",
                 "n_base", "n_new", "failed_base", "failed_new", "scenario_mismatches", "verdict", "reason"]


def _describe_entries(rows: pd.DataFrame) -> str:
    pairs = sorted({f"{a} on {e}" for a, e in zip(rows["agent_label"], rows["env_id"], strict=True)})
    return ", ".join(pairs[:6]) + (f" (+{len(pairs) - 6} more)" if len(pairs) > 6 else "")


def _describe_sources(rows: pd.DataFrame) -> str:
    if "source_file" not in rows:
        return "the baseline"
    files = sorted(set(rows["source_file"]))
    return ", ".join(files[:3]) + (f" (+{len(files) - 3} more)" if len(files) > 3 else "")


def _check_overlap(baseline: pd.DataFrame, new: pd.DataFrame) -> None:
    # With no entry in common every key would be "missing"; that is almost always the wrong
    # baseline or results path, so it is said plainly instead of as a table of misses.
    shared = set(zip(baseline["agent_label"], baseline["env_id"], strict=True)) & set(
        zip(new["agent_label"], new["env_id"], strict=True))
    if not shared:
        raise UserError(f"baseline {_describe_sources(baseline)}: no entries match the new results "
                        f"(baseline has {_describe_entries(baseline)}; new results have {_describe_entries(new)})")


def _parsed(scenario: str):
    # Compared as parsed JSON so that key order or whitespace from another writer is not a change.
    try:
        return json.loads(scenario)
    except ValueError:
        return scenario


def scenario_mismatches(base: pd.DataFrame, new: pd.DataFrame) -> int:
    """Episodes, matched on (episode_seed, level), whose scenario differs between the two sides.

    Rows without a scenario (an episode that failed before reset) have nothing to compare.
    """
    cols = ["episode_seed", "level", "scenario"]
    left = base[cols][base["scenario"] != ""].drop_duplicates(["episode_seed", "level"], keep="last")
    right = new[cols][new["scenario"] != ""].drop_duplicates(["episode_seed", "level"], keep="last")
    matched = left.merge(right, on=["episode_seed", "level"], suffixes=("_base", "_new"))
    return sum(a != b and _parsed(a) != _parsed(b)
               for a, b in zip(matched["scenario_base"], matched["scenario_new"], strict=True))


def _mean_diff(n_base: int):
    # Scores arrive as [baseline..., new...]; strata keep each side's resample within itself and in
    # this order, so the first n_base columns of every resample are baseline episodes.
    def diff(x, axis=None):
        x = np.asarray(x)
        if axis is None:
            return float(x[n_base:].mean() - x[:n_base].mean())
        return x[:, n_base:].mean(axis=1) - x[:, :n_base].mean(axis=1)

    return diff


def _scenario_reason(count: int, base: pd.DataFrame, new: pd.DataFrame) -> str:
    what = f"{count} episode's scenario differs" if count == 1 else f"{count} episodes' scenarios differ"
    versions = [f"{g['suite'].iloc[0]}@{g['suite_hash'].iloc[0]}" for g in (base, new)]
    if versions[0] != versions[1]:  # a declared new suite version: the baseline is out of date, not wrong
        return (f"{what} from the baseline for the same seed: suite version changed "
                f"({versions[0]} -> {versions[1]}); regenerate the baseline (--update)")
    return f"{what} from the baseline for the same seed: suite changed without a version bump"


def _judge(base: pd.DataFrame, new: pd.DataFrame, alpha: float, min_effect: float, reps: int,
           random_state) -> dict:
    record = {"n_base": len(base), "n_new": len(new), "failed_base": int((base["status"] == "failed").sum()),
              "failed_new": int((new["status"] == "failed").sum()), "scenario_mismatches": 0, "reason": ""}
    # Failed episodes have no meaningful score (often NaN); they are counted above, not scored.
    a = base.loc[base["status"] != "failed", "normalised_score"].to_numpy(float)
    b = new.loc[new["status"] != "failed", "normalised_score"].to_numpy(float)
    if a.size:
        record["baseline"] = float(a.mean())
    if new.empty:
        return {**record, "verdict": "missing", "reason": "no new results for this agent, env and level"}
    if b.size:
        record["new"] = float(b.mean())
    record["scenario_mismatches"] = mismatches = scenario_mismatches(base, new)
    if mismatches:
        return {**record, "verdict": "scenario changed", "reason": _scenario_reason(mismatches, base, new)}
    if not a.size:
        return {**record, "verdict": "pass", "reason": "every baseline episode failed: nothing to compare"}
    if not b.size:
        return {**record, "verdict": "regressed", "reason": f"all {len(new)} new episodes failed"}
    diff = record["new"] - record["baseline"]
    low, high = stratified_bootstrap_ci(np.concatenate([a, b]), _mean_diff(a.size),
                                        strata=np.repeat([0, 1], [a.size, b.size]), reps=reps,
                                        random_state=random_state)
    p_less = permutation_test(a, b, reps=reps, random_state=random_state, alternative="less")
    p_greater = permutation_test(a, b, reps=reps, random_state=random_state, alternative="greater")
    # rliable's probability of improvement P(new > baseline): 0.5 is no change, whatever the scale.
    p_x, p_lo, p_hi = probability_of_improvement_ci(b, a, reps=min(reps, 2000), random_state=random_state)
    record.update(diff=diff, diff_ci_low=low, diff_ci_high=high, p_value=p_less, p_improved=p_greater,
                  p_improvement=p_x, p_improvement_ci_low=p_lo, p_improvement_ci_high=p_hi)
    if p_less < alpha and -diff > min_effect:
        return {**record, "verdict": "regressed"}
    if p_greater < alpha and diff > min_effect:
        return {**record, "verdict": "improved"}
    return {**record, "verdict": "pass"}


def compare(baseline_rows: pd.DataFrame, new_rows: pd.DataFrame, alpha: float = 0.05, min_effect: float = 0.05,
            reps: int = 10000, random_state: int = 0, only_evaluated: bool = False) -> pd.DataFrame:
    """One row per (agent_label, env_id, level) of the baseline, with a verdict.

    verdict: "missing" (no new rows for the key), "scenario changed" (some episode seed gives a
    different scenario than in the baseline), "regressed" (one-sided permutation p < alpha that new
    < baseline and baseline - new > min_effect), "improved" (the mirror image), else "pass".
    diff is new - baseline; its 95% CI resamples each side within itself. Every key uses the same
    ``random_state``, so a key's numbers do not depend on which other keys are present.
    only_evaluated: judge only the baseline's (agent_label, env_id, level) keys that the new results
    cover, for a CI job that re-evaluates a subset of the published entries.
    """
    if not 0.0 < alpha < 1.0:
        raise UserError(f"--alpha {alpha}: accepted: a number in (0, 1)")
    if min_effect < 0:
        raise UserError(f"--min-effect {min_effect}: accepted: a number >= 0")
    _check_overlap(baseline_rows, new_rows)
    if only_evaluated:
        evaluated = set(zip(new_rows["agent_label"], new_rows["env_id"], new_rows["level"], strict=True))
        keys = zip(baseline_rows["agent_label"], baseline_rows["env_id"], baseline_rows["level"], strict=True)
        baseline_rows = baseline_rows[[key in evaluated for key in keys]]
    new_groups = dict(iter(new_rows.groupby(KEY, sort=False)))
    records = []
    for key, base in baseline_rows.groupby(KEY, sort=False):
        new = new_groups.get(key, new_rows.iloc[0:0])
        records.append({**dict(zip(KEY, key, strict=True)),
                        **_judge(base, new, alpha, min_effect, reps, random_state)})
    return pd.DataFrame(records).reindex(columns=TABLE_COLUMNS)


def exit_code(table: pd.DataFrame) -> int:
    """1 when any key regressed, changed scenario or is missing from the new results; else 0."""
    return int(table["verdict"].isin(FAILING).any())
