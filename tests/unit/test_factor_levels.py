"""Factor levels: one factor of the suite moved alone, on the same episode seeds as `id` (paired)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvmbench.benchmark.episodes import plan_episodes
from pvmbench.benchmark.statistics import drop_percent_ci, paired_drop_percent_ci
from pvmbench.benchmark.summary import summary_table
from pvmbench.errors import UserError
from pvmbench.seeding import episode_seed
from pvmbench.shifts.tabletop import TableTopShift, load_tabletop_suite
from pvmbench.shifts.weather import load_driving_suite


@pytest.fixture(scope="module")
def suite():
    return load_tabletop_suite()


def test_factor_forms_and_labels(suite):
    assert [s.label for s in suite.parse_many("factors")] == ["id", *(f"factor={f}" for f in suite.factors)]
    assert [s.label for s in suite.parse_many("factor=lighting@0,0.50,1")] == [
        "factor=lighting@0", "factor=lighting@0.5", "factor=lighting"]  # @1 is the hard setting: one label
    assert [s.label for s in load_driving_suite().parse_many("factors")] == ["id", "factor=weather"]
    with pytest.raises(UserError, match="factor 'fog' is not in the suite; accepted: objects, layout"):
        suite.parse("factor=fog")


def test_every_level_severity_and_factor_shares_the_episode_seeds(suite):
    plan = plan_episodes(suite.parse_many("id,factor=lighting,factor=table_texture,hard,easy,severity=0.5,"
                                          "factor=camera@0.5"), 4, run_seed=3)
    seeds = pd.DataFrame([(e.level, e.index, e.seed) for e in plan], columns=["level", "i", "seed"])
    by_level = seeds.pivot(index="i", columns="level", values="seed")
    for level in by_level.columns:  # common random numbers: episode i is the same draw everywhere
        assert (by_level[level] == by_level["id"]).all(), level
    assert by_level["id"].nunique() == 4
    # `id` keeps the seeds of the earlier per-level scheme, so published id rows stay reproducible.
    assert list(by_level["id"]) == [episode_seed(3, "id", i) for i in range(4)]


def test_a_factor_level_moves_that_factor_only(suite):
    plan = plan_episodes(suite.parse_many("id,factor=lighting"), 4, run_seed=3)
    by_level = pd.DataFrame([(e.level, e.index, e.seed) for e in plan],
                            columns=["level", "i", "seed"]).pivot(index="i", columns="level", values="seed")
    seed = int(by_level["id"].iloc[0])
    base = TableTopShift("id", suite=suite).sample(seed)
    moved = TableTopShift("factor=lighting", suite=suite).sample(seed)
    differs = sorted(k for k in base if base[k] != moved[k])
    assert differs == ["lighting", "shift"]
    hard_light = TableTopShift("hard", suite=suite).sample(seed)["lighting"]
    assert moved["lighting"] == hard_light  # the factor at its hard setting


def test_paired_drop_ci_cancels_what_the_pairs_share():
    rng = np.random.default_rng(0)
    scenario = rng.uniform(0.2, 0.9, 40)  # most of the variance is the scenario, shared by both sides
    id_scores, ood_scores = scenario, scenario - 0.1 + rng.normal(0, 0.01, 40)
    drop, lo, hi = paired_drop_percent_ci(id_scores, ood_scores, reps=2000)
    _, ulo, uhi = drop_percent_ci(id_scores, ood_scores, reps=2000)
    assert lo < drop < hi and (hi - lo) < 0.3 * (uhi - ulo)
    assert paired_drop_percent_ci(scenario, scenario, reps=500)[1:] == (0.0, 0.0)
    with pytest.raises(ValueError, match="equal lengths"):
        paired_drop_percent_ci(scenario, scenario[:-1])


def test_summary_gives_every_level_a_drop_ci_paired_on_episode_seeds():
    rows = pd.DataFrame({
        "level": ["id"] * 3 + ["factor=lighting"] * 3 + ["hard"] * 3,
        "episode_index": [0, 1, 2] * 3,
        "episode_seed": [7, 8, 9] * 3,
        "normalised_score": [0.5, 0.8, 0.2, 0.4, 0.7, 0.1, 0.3, 0.3, 0.3],
        "return": [1.0] * 9, "success": [False] * 9, "status": ["ok"] * 9,
    })
    table = summary_table(rows, ["id", "factor=lighting", "hard"], reps=500).set_index("level")
    assert table.loc["factor=lighting", "drop_ci_low"] > 0  # every pair lost 0.1
    assert np.isnan(table.loc["id", "drop_pct"]) and not np.isnan(table.loc["hard", "drop_ci_low"])
    # Rows whose seeds do not pair (an old per-level run) fall back to resampling the levels apart: wider.
    unpaired = rows.assign(episode_seed=[7, 8, 9, 1, 2, 3, 4, 5, 6])
    loose = summary_table(unpaired, ["id", "factor=lighting", "hard"], reps=500).set_index("level")
    assert loose.loc["factor=lighting", "drop_ci_low"] < 0
