"""The scientific-check tables: per-entry drops with CIs, and each entry against the scratch CNN."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.leaderboard.drops import drop_markdown, drop_table, versus_baseline, versus_markdown


def _rows(label: str, id_mean: float, hard_mean: float, seeds: int = 3, n: int = 30) -> list[dict]:
    rng = np.random.default_rng(sum(map(ord, label)))  # not hash(): salted per process
    rows = []
    for seed in range(seeds):
        for level, centre in (("id", id_mean), ("hard", hard_mean)):
            for i, score in enumerate(rng.normal(centre, 0.05, n)):
                rows.append({"env_id": "pvmbench/TableTopPick-v0", "agent_label": label, "level": level,
                             "normalised_score": score, "status": "ok", "checkpoint_sha256": f"{label}{seed}",
                             "episode_index": i})
    return rows


def test_drops_and_the_comparison_with_the_scratch_cnn():
    rows = pd.DataFrame(_rows("cnn/scratch", 0.4, 0.02) + _rows("enc/partial", 0.4, 0.2)
                        + [{"env_id": "pvmbench/TableTopPick-v0", "agent_label": "scripted", "level": "id",
                            "normalised_score": 1.0, "status": "ok", "checkpoint_sha256": "", "episode_index": 0}])
    table = drop_table(rows, reps=500)
    assert set(table["agent_label"]) == {"cnn/scratch", "enc/partial"}  # built-in agents have no checkpoint
    hard = table[table["level"] == "hard"].set_index("agent_label")
    assert 90 < hard.loc["cnn/scratch", "drop_pct"] < 100 and 45 < hard.loc["enc/partial", "drop_pct"] < 55
    assert (hard["drop_ci_low"] <= hard["drop_pct"]).all() and (hard["drop_pct"] <= hard["drop_ci_high"]).all()
    assert (hard["seeds"] == 3).all()

    versus = versus_baseline(rows, reps=500).set_index("agent_label")
    assert list(versus.index) == ["enc/partial"]
    assert versus.loc["enc/partial", "ci_high"] < 0  # keeps significantly more than the scratch CNN
    assert versus.loc["enc/partial", "p_score_higher"] < 0.01
    assert "enc/partial" in drop_markdown(table) and "enc/partial" in versus_markdown(versus.reset_index())
