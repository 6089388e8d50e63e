"""The leaderboard's success rate per level, with its Wilson 95% CI, in every format."""

from __future__ import annotations

import math

import pandas as pd

from pvmbench.leaderboard.render import to_latex, to_markdown
from pvmbench.leaderboard.table import leaderboard_table


def _rows(level: str, successes: list[bool]) -> list[dict]:
    return [{"agent_label": "cnn/scratch", "env_id": "E", "suite": "s", "suite_hash": "h", "run_id": "r",
             "checkpoint_sha256": "c1", "agent": "bc", "level": level, "episode_index": i, "episode_seed": i,
             "normalised_score": 0.9 if ok else 0.1, "return": 1.0, "success": ok, "status": "ok",
             "severity": math.nan} for i, ok in enumerate(successes)]


def test_success_rate_per_level_with_a_wilson_interval():
    rows = pd.DataFrame(_rows("id", [True] * 13 + [False] * 7) + _rows("easy", [True] * 5 + [False] * 15)
                        + _rows("hard", [False] * 20))
    row = leaderboard_table(rows, reps=100).iloc[0]
    assert row["id_success"] == 0.65 and math.isclose(row["id_success_ci_low"], 0.4329, abs_tol=1e-4)
    assert math.isclose(row["id_success_ci_high"], 0.8188, abs_tol=1e-4)
    assert row["hard_success"] == 0.0 and row["hard_success_ci_low"] == 0.0 and row["hard_success_ci_high"] > 0.1
    table = leaderboard_table(rows, reps=100)
    assert "65% [43, 82]" in to_markdown(table) and "25% [11, 47]" in to_markdown(table)
    assert "65\\% [43, 82]" in to_latex(table)
