"""level_stats: one rule for failed and non-finite episodes, strata, groups, level order; and every report
that shows a score per level (eval summary, leaderboard, figures, drops) follows it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pvmbench.benchmark.level_stats import level_order, level_stats, scored_rows
from pvmbench.benchmark.summary import summary_table
from pvmbench.leaderboard import figure_data as fd
from pvmbench.leaderboard.drops import drop_table
from pvmbench.leaderboard.table import leaderboard_table

REPS = 300


def episodes(scores, level="id", agent="enc/frozen", seed=0, status="ok") -> list[dict]:
    """Result rows as `pvmbench eval` writes them (the columns the reports read)."""
    return [{"run_id": f"run{seed}", "agent_label": agent, "checkpoint_sha256": f"sha{seed}",
             "env_id": "pvmbench/TableTopPick-v0", "suite": "tabletop-v1", "suite_hash": "h", "level": level,
             "severity": math.nan, "episode_index": i, "return": 10.0 * s, "normalised_score": s,
             "success": bool(s > 0.5), "status": status} for i, s in enumerate(scores)]


def test_failed_and_non_finite_episodes_are_counted_in_failed_not_scored():
    rows = pd.DataFrame(episodes([0.2, 0.4, 0.9]) + episodes([math.nan], status="failed")
                        + episodes([math.nan, math.inf, -math.inf]))
    stats = level_stats(rows, reps=REPS).iloc[0]
    assert (stats["n"], stats["failed"]) == (3, 4)  # n + failed = every episode at the level
    assert stats["score"] == pytest.approx(0.5) and stats["mean_return"] == pytest.approx(5.0)
    assert stats["success_rate"] == pytest.approx(1 / 3)
    assert stats["score_ci_low"] <= stats["score"] <= stats["score_ci_high"]
    assert list(scored_rows(rows)["normalised_score"]) == [0.2, 0.4, 0.9]


def test_a_level_with_no_usable_episode_has_no_score_and_does_not_raise():
    rows = pd.DataFrame(episodes([math.nan]) + episodes([0.3], status="failed"))
    stats = level_stats(rows, reps=REPS).iloc[0]
    assert (stats["n"], stats["failed"]) == (0, 2)
    assert math.isnan(stats["score"]) and math.isnan(stats["score_ci_low"]) and math.isnan(stats["iqm"])


def test_strata_keep_the_mean_and_are_resampled_separately():
    # One seed scores 0, the other 1: resampled within seeds, every resample has half of each.
    rows = pd.DataFrame(episodes([0.0] * 10, seed=0) + episodes([1.0] * 10, seed=1))
    pooled = level_stats(rows, reps=REPS).iloc[0]
    by_seed = level_stats(rows, "checkpoint_sha256", reps=REPS).iloc[0]
    assert pooled["score"] == by_seed["score"] == 0.5
    assert (by_seed["score_ci_low"], by_seed["score_ci_high"]) == pytest.approx((0.5, 0.5))
    assert pooled["score_ci_low"] < 0.4 and pooled["score_ci_high"] > 0.6
    # The strata are the named column, not always the same one.
    same_run = rows.assign(run_id="run0")
    assert level_stats(same_run, "run_id", reps=REPS).iloc[0]["score_ci_low"] == pooled["score_ci_low"]


def test_groups_are_sorted_and_each_uses_only_its_own_rows():
    rows = pd.DataFrame(episodes([0.9, 0.8, 0.7], agent="zeta") + episodes([0.1, 0.2], agent="alpha")
                        + episodes([0.3], agent="alpha", status="failed"))
    stats = level_stats(rows, by=["agent_label"], reps=REPS)
    assert list(stats.columns[:2]) == ["agent_label", "level"] and list(stats["agent_label"]) == ["alpha", "zeta"]
    for agent, group in rows.groupby("agent_label"):
        alone = level_stats(group, reps=REPS).iloc[0]
        mine = stats[stats["agent_label"] == agent].iloc[0]
        assert mine[["n", "failed", "score", "score_ci_low", "score_ci_high", "iqm"]].tolist() == (
            alone[["n", "failed", "score", "score_ci_low", "score_ci_high", "iqm"]].tolist())


def test_levels_come_in_the_suite_order_or_as_asked():
    names = ["severity=1", "hard", "preset=fog", "id", "easy"]
    rows = pd.DataFrame([r for lv in names for r in episodes([0.5], level=lv)])
    assert list(level_stats(rows, reps=REPS)["level"]) == ["id", "easy", "hard", "preset=fog", "severity=1"]
    assert level_order(names) == ["id", "easy", "hard", "preset=fog", "severity=1"]
    asked = level_stats(rows[rows["level"] != "easy"], levels=["hard", "easy", "id"], reps=REPS)
    assert list(asked["level"]) == ["hard", "easy", "id"] and list(asked["n"]) == [1, 0, 1]


def test_every_report_follows_the_rule_with_its_own_strata():
    # Two seeds (one run and one checkpoint each, in sorted order, so every report resamples the same
    # rows), a failed episode and one with a NaN score at id.
    rows = pd.DataFrame(
        episodes([0.6, 0.7, 0.8], seed=0) + episodes([0.9, 1.0], seed=1) + episodes([0.1, 0.2], level="hard", seed=0)
        + episodes([0.3, 0.4], level="hard", seed=1) + episodes([0.5], seed=1, status="failed")
        + [{**episodes([0.5], seed=1)[0], "episode_index": 9, "normalised_score": np.nan}])
    summary = summary_table(rows, ["id", "hard"], reps=REPS).set_index("level")
    table = leaderboard_table(rows, reps=REPS).iloc[0]
    figure = fd.level_scores(rows, reps=REPS).set_index("level")  # used to raise on the NaN score
    drops = drop_table(rows, reps=REPS).set_index("level")
    assert (summary.loc["id", "n"], summary.loc["id", "failed"]) == (5, 2)
    assert (figure.loc["id", "n"], figure.loc["id", "failed"]) == (5, 2)
    assert (table["episodes"], table["failed"]) == (9, 2) and drops.loc["id", "episodes"] == 5
    for level, mean in (("id", 0.8), ("hard", 0.25)):
        assert summary.loc[level, "score"] == table[f"{level}_score"] == figure.loc[level, "mean"] == pytest.approx(mean)
        assert drops.loc[level, "score"] == pytest.approx(mean)
        by_seed = (table[f"{level}_ci_low"], table[f"{level}_ci_high"])
        assert by_seed == tuple(figure.loc[level, ["ci_low", "ci_high"]])
        assert by_seed == tuple(drops.loc[level, ["score_ci_low", "score_ci_high"]])
