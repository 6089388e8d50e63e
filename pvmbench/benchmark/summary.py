"""The end-of-run summary: a table per level, computed from result rows with the statistics module."""

from __future__ import annotations

import math

import pandas as pd

from pvmbench.benchmark.level_stats import level_stats, scored_rows
from pvmbench.benchmark.statistics import drop_percent, paired_drop_percent_ci
from pvmbench.shifts.spec import FACTOR

SUMMARY_COLUMNS = ("level", "n", "failed", "mean_return", "score", "score_ci_low", "score_ci_high",
                   "iqm", "success_rate", "drop_pct", "drop_ci_low", "drop_ci_high")


def summary_table(rows: pd.DataFrame, levels: list[str], reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """One row per level, in the order given: `level_stats` (unstratified) plus the drop vs id.

    Failed episodes, and episodes with a non-finite score, are counted in ``failed``, not scored. A factor
    level's episodes share their seeds with `id` (episodes.seed_stream), so its drop gets a paired
    bootstrap CI over the episodes scored at both; other levels' drops have no CI here.
    """
    table = level_stats(rows, levels=levels, reps=reps, random_state=random_state)
    table["drop_pct"] = math.nan
    scored_id = table[(table["level"] == "id") & (table["n"] > 0)]
    if len(scored_id):
        id_score = scored_id["score"].iloc[0]
        table["drop_pct"] = [math.nan if lvl == "id" else drop_percent(id_score, s)
                             for lvl, s in zip(table["level"], table["score"], strict=True)]
    table["drop_ci_low"], table["drop_ci_high"] = math.nan, math.nan
    for i, level in enumerate(table["level"]):
        if str(level).startswith(FACTOR):
            _, low, high = _paired_drop(rows, level, reps, random_state)
            table.loc[i, ["drop_ci_low", "drop_ci_high"]] = low, high
    return table[list(SUMMARY_COLUMNS)]


def _paired_drop(rows: pd.DataFrame, level: str, reps: int, random_state: int) -> tuple[float, float, float]:
    scored = scored_rows(rows)
    pairs = scored[scored["level"] == "id"].merge(scored[scored["level"] == level], on="episode_index",
                                                   suffixes=("_id", "_ood")).sort_values("episode_index")
    if pairs.empty:
        return math.nan, math.nan, math.nan
    return paired_drop_percent_ci(pairs["normalised_score_id"].to_numpy(float),
                                  pairs["normalised_score_ood"].to_numpy(float), reps=reps, random_state=random_state)


def render_summary(table: pd.DataFrame, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    def fmt(value, spec: str) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)

    rich_table = Table(title=title, title_justify="left")
    for name, justify in [("level", "left"), ("n", "right"), ("mean return", "right"),
                          ("normalised score [95% CI]", "right"), ("IQM", "right"), ("success", "right"),
                          ("drop vs id", "right"), ("failed", "right")]:
        rich_table.add_column(name, justify=justify)
    for r in table.to_dict("records"):
        ci = f"{fmt(r['score'], '.3f')} [{fmt(r['score_ci_low'], '.3f')}, {fmt(r['score_ci_high'], '.3f')}]"
        drop = fmt(r["drop_pct"], ".1f") + ("%" if fmt(r["drop_pct"], ".1f") != "-" else "")
        if not math.isnan(r["drop_ci_low"]):
            drop += f" [{fmt(r['drop_ci_low'], '.1f')}, {fmt(r['drop_ci_high'], '.1f')}]"
        success = fmt(r["success_rate"] * 100 if r["success_rate"] is not None else None, ".0f")
        rich_table.add_row(r["level"], str(r["n"]), fmt(r["mean_return"], ".2f"), ci, fmt(r["iqm"], ".3f"),
                           success + ("%" if success != "-" else ""), drop, str(r["failed"]))
    Console(width=132).print(rich_table)
