"""The end-of-run summary: a table per level, computed from result rows with the statistics module."""

from __future__ import annotations

import math

import pandas as pd

from pvmbench.benchmark.level_stats import level_stats
from pvmbench.benchmark.statistics import drop_percent

SUMMARY_COLUMNS = ("level", "n", "failed", "mean_return", "score", "score_ci_low", "score_ci_high",
                   "iqm", "success_rate", "drop_pct")


def summary_table(rows: pd.DataFrame, levels: list[str], reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """One row per level, in the order given: `level_stats` (unstratified) plus the drop vs id.

    Failed episodes, and episodes with a non-finite score, are counted in ``failed``, not scored.
    """
    table = level_stats(rows, levels=levels, reps=reps, random_state=random_state)
    table["drop_pct"] = math.nan
    scored_id = table[(table["level"] == "id") & (table["n"] > 0)]
    if len(scored_id):
        id_score = scored_id["score"].iloc[0]
        table["drop_pct"] = [math.nan if lvl == "id" else drop_percent(id_score, s)
                             for lvl, s in zip(table["level"], table["score"], strict=True)]
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
        success = fmt(r["success_rate"] * 100 if r["success_rate"] is not None else None, ".0f")
        rich_table.add_row(r["level"], str(r["n"]), fmt(r["mean_return"], ".2f"), ci, fmt(r["iqm"], ".3f"),
                           success + ("%" if success != "-" else ""), drop, str(r["failed"]))
    Console(width=120).print(rich_table)
