"""The factor heat map for papers: per env, rows = entries, columns = factors, colour = drop % (paired, see
factors.py), each cell annotated with the drop and its 95% CI, the entry's worst factor outlined."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pvmbench.leaderboard.factor_render import pct as _pct


def factor_heatmap(table: pd.DataFrame):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    envs = sorted(table["env_id"].unique())
    widths = [max(2, table[table["env_id"] == e]["factor"].nunique()) for e in envs]
    height = max(len(table[table["env_id"] == e]["agent_label"].unique()) for e in envs)
    fig, axes = plt.subplots(1, len(envs), figsize=(2.6 + 1.3 * sum(widths), 2.2 + 0.5 * height),
                             gridspec_kw={"width_ratios": widths}, squeeze=False, layout="constrained")
    image = None
    for ax, env in zip(axes[0], envs, strict=True):
        at_env = table[table["env_id"] == env]
        factors = list(dict.fromkeys(at_env["factor"]))
        agents = sorted(at_env["agent_label"].unique())
        grid = np.full((len(agents), len(factors)), np.nan)
        for row in at_env.itertuples(index=False):
            i, j = agents.index(row.agent_label), factors.index(row.factor)
            grid[i, j] = row.drop_pct
            ci = "" if math.isnan(row.drop_ci_low) else f"\n[{_pct(row.drop_ci_low)}, {_pct(row.drop_ci_high)}]"
            text = "-" if math.isnan(row.drop_pct) else f"{_pct(row.drop_pct)}%{ci}"
            dark = not math.isnan(row.drop_pct) and abs(row.drop_pct) > 60
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color="white" if dark else "black")
            if row.worst:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=1.6, ec="black"))
        image = ax.imshow(np.clip(grid, -50, 100), cmap="RdBu_r", vmin=-100, vmax=100, aspect="auto")
        ax.set_xticks(range(len(factors)), factors, rotation=30, ha="right")
        ax.set_yticks(range(len(agents)), agents)
        ax.set_title(env)
    fig.colorbar(image, ax=axes[0].tolist(), label="drop vs id, %", shrink=0.9)
    fig.suptitle("Which factor breaks it: one factor at hard, paired with id (outlined: worst)", fontsize=9)
    return fig

