"""The leaderboard's factor table: factor rows paired with id rows by episode seed, across files."""

from __future__ import annotations

import math

import pandas as pd

from pvmbench.leaderboard.factor_render import factors_html, factors_latex, factors_markdown
from pvmbench.leaderboard.factors import factor_table


def _rows(level: str, scores: list[float], seeds: list[int], label: str = "agent-a", sha: str = "c1") -> list[dict]:
    return [{"agent_label": label, "env_id": "E", "suite": "s", "suite_hash": "h", "checkpoint_sha256": sha,
             "level": level, "episode_seed": seed, "episode_index": i, "normalised_score": score, "status": "ok"}
            for i, (score, seed) in enumerate(zip(scores, seeds, strict=True))]


def test_pairs_on_episode_seed_and_marks_the_worst_factor():
    rows = pd.DataFrame(
        _rows("id", [0.8, 0.6, 0.4, 0.2], [11, 12, 13, 14])
        + _rows("factor=lighting", [0.7, 0.5, 0.3, 0.1], [11, 12, 13, 14])   # -0.1 each pair
        + _rows("factor=camera", [0.4, 0.2, 0.2, 0.0], [14, 13, 12, 11])      # listed in another order
        + _rows("hard", [0.0] * 4, [91, 92, 93, 94])                          # a named level: not a factor
        + _rows("factor=camera@0.5", [0.8] * 4, [11, 12, 13, 14]))            # a ladder point: not the table
    table = factor_table(rows, reps=500).set_index("factor")
    assert sorted(table.index) == ["camera", "lighting"]
    assert table.loc["lighting", "pairs"] == 4 and math.isclose(table.loc["lighting", "drop_pct"], 20.0)
    # camera's pairs are (id seed 14 -> 0.4), (13 -> 0.2), ...: matched by seed, not by row order.
    assert math.isclose(table.loc["camera", "factor_score"], 0.2) and math.isclose(table.loc["camera", "drop_pct"], 60.0)
    assert 0 < table.loc["lighting", "drop_ci_low"] < 20.0 < table.loc["lighting", "drop_ci_high"]  # every pair lost 0.1
    assert list(table["worst"]) == [True, False]  # camera


def test_an_unpaired_factor_row_is_left_out_and_renderings_mark_the_worst():
    rows = pd.DataFrame(_rows("id", [0.5, 0.5], [1, 2]) + _rows("factor=lighting", [0.25, 0.25], [1, 3])
                        + _rows("factor=camera", [0.5, 0.5], [1, 2]))
    table = factor_table(rows, reps=200)
    assert table.set_index("factor").loc["lighting", "pairs"] == 1
    markdown = factors_markdown(table)
    assert "| Agent | camera | lighting |" in markdown and "| agent-a | 0% [0, 0] | **50% [50, 50]** |" in markdown
    assert "\\textbf{50\\% [50, 50]}" in factors_latex(table)
    assert "hsl(0, 70%" in factors_html(table)  # a drop is red in the heat map


def test_heatmap_has_a_panel_per_env_and_outlines_the_worst():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.patches import Rectangle

    from pvmbench.leaderboard.factor_figure import factor_heatmap

    rows = pd.DataFrame(_rows("id", [0.5, 0.6], [1, 2]) + _rows("factor=lighting", [0.25, 0.3], [1, 2])
                        + _rows("factor=camera", [0.5, 0.6], [1, 2]))
    table = factor_table(rows, reps=200)
    fig = factor_heatmap(pd.concat([table, table.assign(env_id="F")], ignore_index=True))
    panels = [ax for ax in fig.axes if ax.get_title() in ("E", "F")]
    assert len(panels) == 2
    outlined = [p for p in panels[0].patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(outlined) == 1 and outlined[0].get_x() == 0.5  # lighting, the second column (camera first)


def test_interaction_check_sets_the_sum_of_factor_drops_beside_hard():
    from pvmbench.leaderboard.factors import ALL_AT_ONCE, SUM_OF_FACTORS

    seeds = list(range(20))
    rows = pd.DataFrame(_rows("id", [1.0] * 20, seeds) + _rows("factor=lighting", [0.9] * 20, seeds)
                        + _rows("factor=camera", [0.8] * 20, seeds) + _rows("hard", [0.4] * 20, seeds))
    table = factor_table(rows, reps=200).set_index("factor")
    assert math.isclose(table.loc[SUM_OF_FACTORS, "drop_pct"], 30.0)  # 10% + 20%
    assert math.isclose(table.loc[ALL_AT_ONCE, "drop_pct"], 60.0)  # they compound
    assert list(table.loc[[SUM_OF_FACTORS, ALL_AT_ONCE], "kind"]) == ["interaction"] * 2
    assert not table.loc[[SUM_OF_FACTORS, ALL_AT_ONCE], "worst"].any() and table.loc["camera", "worst"]
    assert f"| {SUM_OF_FACTORS} | {ALL_AT_ONCE} |" in factors_markdown(table.reset_index())
    # hard rows on other seeds (an unpaired run) share no episode with the factors: no interaction row.
    unpaired = pd.concat([rows[rows["level"] != "hard"], pd.DataFrame(_rows("hard", [0.4] * 20, range(100, 120)))])
    assert set(factor_table(unpaired, reps=200)["kind"]) == {"factor"}


def test_factor_ladder_gives_each_factors_breaking_point():
    from pvmbench.leaderboard.figure_data import factor_ladder

    seeds = list(range(6))
    rows = pd.DataFrame(_rows("id", [0.8] * 6, seeds) + _rows("factor=lighting@0.5", [0.6] * 6, seeds)
                        + _rows("factor=lighting", [0.3] * 6, seeds) + _rows("factor=camera@0.5", [0.2] * 6, seeds)
                        + _rows("factor=camera", [0.1] * 6, seeds))
    ladder = factor_ladder(rows.assign(severity=math.nan), reps=100)
    breaks = ladder.groupby("factor")["breaking_point"].first()
    assert breaks["lighting"] == 1.0 and breaks["camera"] == 0.5  # first s below half of id's 0.8
    assert sorted(ladder["severity"].unique()) == [0.5, 1.0]


def test_no_worst_factor_where_no_factor_costs_anything():
    seeds = list(range(4))
    rows = pd.DataFrame(_rows("id", [0.5] * 4, seeds) + _rows("factor=fog", [0.5] * 4, seeds)
                        + _rows("factor=rain", [0.6] * 4, seeds))
    assert not factor_table(rows, reps=100)["worst"].any()  # a blind agent: nothing breaks it
