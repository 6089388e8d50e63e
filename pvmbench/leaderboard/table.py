"""The leaderboard table: one row per entry (agent label, env, suite version), computed from result rows.

Computation only, no I/O; rendering lives in `render.py`. Every number comes from the statistics module,
with a fixed ``random_state``, and rows are sorted before bootstrapping, so the same result files give
the same table byte for byte whatever order they were passed in.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pvmbench.benchmark.level_stats import level_stats, scored_rows
from pvmbench.benchmark.statistics import breaking_point_severity, drop_percent
from pvmbench.leaderboard.rows import ENTRY_KEYS, check_single_suite_version
from pvmbench.shifts.spec import LEVELS

SCORE_COLUMNS = tuple(f"{lvl}_score" for lvl in LEVELS)
SUCCESS_COLUMNS = tuple(f"{lvl}_success" for lvl in LEVELS)
DROP_COLUMNS = ("drop_easy_pct", "drop_hard_pct")
TABLE_COLUMNS = (
    *ENTRY_KEYS,
    *(f"{lvl}_{stat}" for lvl in LEVELS for stat in ("score", "ci_low", "ci_high")),
    *(f"{lvl}_{stat}" for lvl in LEVELS for stat in ("success", "success_ci_low", "success_ci_high")),
    *DROP_COLUMNS,
    "breaking_point",
    "vs_blind",
    "episodes",
    "failed",
    "checkpoint",
)
# Which way is better, per column best_in_column looks at: the highest score, the smallest drop, the
# latest breaking point (inf, "never broke within the sweep", beats any severity).
BEST_DIRECTION = {**{c: "max" for c in (*SCORE_COLUMNS, *SUCCESS_COLUMNS)}, **{c: "min" for c in DROP_COLUMNS},
                  "breaking_point": "max"}


def leaderboard_table(rows: pd.DataFrame, reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """One row per entry; columns as in TABLE_COLUMNS, ordered by env, then hard score descending.

    Per level: `level_stats` stratified by run (each run is one checkpoint and seed), i.e. the mean
    normalised score over scored episodes with its 95% bootstrap CI; failed episodes and those with a
    non-finite score are counted in ``failed``. Drops are relative to the ID score. The
    breaking point comes from the entry's full-factor severity sweep, if it has one: NaN without a
    sweep (or without a positive ID score), inf when no severity of the sweep broke it.
    """
    if "source_file" not in rows.columns:  # rows built in memory rather than by load_results
        rows = rows.assign(source_file="<rows>")
    check_single_suite_version(rows)
    records = [_entry_record(dict(zip(ENTRY_KEYS, key, strict=True)), group, reps, random_state)
               for key, group in rows.groupby(list(ENTRY_KEYS), sort=True)]
    table = pd.DataFrame(records, columns=list(TABLE_COLUMNS))
    table["vs_blind"] = _versus_blind(table)
    # Ties on the hard score (and entries without one, last) fall back to the entry keys, so the order
    # never depends on the order the rows came in.
    by = ["env_id", "hard_score", *(k for k in ENTRY_KEYS if k != "env_id")]
    table = table.sort_values(by, ascending=[c != "hard_score" for c in by], na_position="last", kind="stable")
    return table.reset_index(drop=True)


BLIND_LABEL = "blind"


def _versus_blind(table: pd.DataFrame) -> list[str]:
    """Per entry, where its ID score's CI lies against its env's blind baseline (the best constant action,
    which never looks at an image): "above", "not separated" (the CI contains the blind score) or
    "at or below". "-" for the blind entry itself and for envs without one."""
    blind = table[table["agent_label"] == BLIND_LABEL].set_index(["env_id", "suite", "suite_hash"])["id_score"]
    out = []
    for row in table.itertuples(index=False):
        floor = blind.get((row.env_id, row.suite, row.suite_hash), math.nan)
        if row.agent_label == BLIND_LABEL or math.isnan(floor) or math.isnan(row.id_score):
            out.append("-")
        elif row.id_ci_low > floor:
            out.append("above")
        elif row.id_ci_high <= floor:
            out.append("at or below")
        else:
            out.append("not separated")
    return out


def _entry_record(entry: dict, group: pd.DataFrame, reps: int, random_state: int) -> dict:
    # Sorted first, so the bootstrap sees the same rows in the same order whatever order files came in.
    group = group.sort_values(["run_id", "level", "episode_index"], kind="stable")
    scored = scored_rows(group)
    record = {**entry, "episodes": len(scored), "failed": len(group) - len(scored),
              "checkpoint": _checkpoint(group["checkpoint_sha256"])}
    stats = level_stats(group, "run_id", levels=LEVELS, reps=reps, random_state=random_state)
    for level, score, lo, hi in stats[["level", "score", "score_ci_low", "score_ci_high"]].itertuples(index=False):
        record.update({f"{level}_score": score, f"{level}_ci_low": lo, f"{level}_ci_high": hi})
    for level in LEVELS:  # the task's success rate, the first figure a robot-learning reader looks for
        at = scored[scored["level"] == level]["success"].astype(bool)
        rate, low, high = _wilson(int(at.sum()), len(at))
        record.update({f"{level}_success": rate, f"{level}_success_ci_low": low, f"{level}_success_ci_high": high})
    # A drop is relative to what the agent achieves in distribution. If its ID score is not above random
    # (the CI reaches 0), "losing 190% of nothing" is noise, not robustness: the drop and the breaking
    # point are undefined ("-") rather than a number that would win its column.
    id_score = record["id_score"] if record["id_ci_low"] > 0 else math.nan
    record["drop_easy_pct"] = drop_percent(id_score, record["easy_score"])
    record["drop_hard_pct"] = drop_percent(id_score, record["hard_score"])
    record["breaking_point"] = _breaking_point(scored, id_score)
    return record


def _wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """Success rate with its 95% Wilson score interval (sound at 0% and 100%, where the bootstrap's
    percentile interval collapses to a point); nan without episodes."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def _breaking_point(scored: pd.DataFrame, id_score: float) -> float:
    # Only full sweeps ("severity=0.5"); a factor-restricted one ("severity=0.5:lighting") shifts a single
    # factor, and mixing it in would average different shifts at the same severity.
    level = scored["level"].astype(str)
    sweep = scored[level.str.startswith("severity=") & ~level.str.contains(":", regex=False)
                   & np.isfinite(scored["severity"].to_numpy(float))]
    if sweep.empty or not id_score > 0:
        return math.nan
    means = sweep.groupby("severity", sort=True)["normalised_score"].mean()
    point = breaking_point_severity(means.index.to_numpy(float), means.to_numpy(float), id_score)
    return math.inf if point is None else float(point)


def _checkpoint(shas: pd.Series) -> str:
    # Built-in agents have no checkpoint file, hence an empty sha; an entry pooling several checkpoints
    # under one label lists each.
    distinct = sorted({str(s)[:12] for s in shas.dropna() if str(s)})
    return ", ".join(distinct) if distinct else "-"


def best_in_column(table: pd.DataFrame) -> dict[str, set[int]]:
    """Per env, the row indices holding the best value of each score, drop and breaking-point column.

    Ties are all best. A column is marked only where at least two entries of that env have a value:
    a lone entry is not "best" of anything.
    """
    best: dict[str, set[int]] = {column: set() for column in BEST_DIRECTION}
    for _, env_rows in table.groupby("env_id", sort=True):
        for column, direction in BEST_DIRECTION.items():
            values = env_rows[column].astype(float)
            values = values[values.notna()]
            if len(values) < 2:
                continue
            target = values.max() if direction == "max" else values.min()
            best[column].update(int(i) for i in values.index[values == target])
    return best
