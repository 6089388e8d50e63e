"""The end-of-run summary: a table per level, computed from result rows with the statistics module."""

from __future__ import annotations

import math

import pandas as pd

from pvmbench.benchmark.level_stats import level_stats, scored_rows
from pvmbench.benchmark.pairing import drop_ci
from pvmbench.benchmark.statistics import drop_percent

SUMMARY_COLUMNS = ("level", "n", "failed", "mean_return", "score", "score_ci_low", "score_ci_high",
                   "iqm", "success_rate", "drop_pct", "drop_ci_low", "drop_ci_high")


def summary_table(rows: pd.DataFrame, levels: list[str], reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """One row per level, in the order given: `level_stats` (unstratified) plus the drop vs id.

    Failed episodes, and episodes with a non-finite score, are counted in ``failed``, not scored. Every
    level's episodes share their seeds with `id` (episodes.seed_stream), so each drop gets a paired
    bootstrap CI over the episode seeds (pairing.drop_ci; unpaired when failures broke some pairs).
    """
    table = level_stats(rows, levels=levels, reps=reps, random_state=random_state)
    table["drop_pct"] = math.nan
    scored_id = table[(table["level"] == "id") & (table["n"] > 0)]
    if len(scored_id):
        id_score = scored_id["score"].iloc[0]
        table["drop_pct"] = [math.nan if lvl == "id" else drop_percent(id_score, s)
                             for lvl, s in zip(table["level"], table["score"], strict=True)]
    table["drop_ci_low"], table["drop_ci_high"] = math.nan, math.nan
    scored = scored_rows(rows)
    at_id = scored[scored["level"] == "id"]
    for i, level in enumerate(table["level"]):
        at_level = scored[scored["level"] == level]
        if level != "id" and len(at_id) and len(at_level):
            _, low, high, _ = drop_ci(at_id, at_level, strata=None, reps=reps, random_state=random_state)
            table.loc[i, ["drop_ci_low", "drop_ci_high"]] = low, high
    return table[list(SUMMARY_COLUMNS)]


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
