"""Figures of the attention analysis: saliency overlaid on frames, and the scores with their floors."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

from pvmbench.analysis.attention import ALL_LEVELS, AttentionFrames, SaliencyMaps
from pvmbench.analysis.figures import ci_error, plt, save


def attention_maps_figure(frames: AttentionFrames, maps: list[SaliencyMaps], per_frame: pd.DataFrame,
                          path: pathlib.Path, columns_per_level: int = 2) -> pathlib.Path:
    """Rows: the frame with its target mask, then one row per subject; columns: frames by level."""
    scored = set(per_frame["frame"])
    picks = [i for _, group in frames.index.groupby("level", sort=False)
             for i in [i for i in group.index if i in scored][:columns_per_level]]
    rows = 1 + len(maps)
    fig, axes = plt.subplots(rows, len(picks), figsize=(1.9 * len(picks) + 1.6, 2.0 * rows), squeeze=False,
                             constrained_layout=True)
    for col, i in enumerate(picks):
        level, seed = frames.index.loc[i, ["level", "seed"]]
        ax = axes[0, col]
        ax.imshow(frames.images[i])
        ax.contour(frames.masks[i], levels=[0.5], colors="cyan", linewidths=0.8)
        ax.set_title(f"{level}, seed {seed}\nchance {frames.masks[i].mean():.3f}", fontsize=8)
        for row, m in enumerate(maps, start=1):
            ax = axes[row, col]
            ax.imshow(frames.images[i])
            ax.imshow(m.frame_maps[i], cmap="jet", alpha=0.45, vmin=0, vmax=1)
            ax.contour(frames.masks[i], levels=[0.5], colors="white", linewidths=0.8)
            r = per_frame[(per_frame["frame"] == i) & (per_frame["encoder"] == m.subject.label)].iloc[0]
            empty = " (empty)" if r["empty_map"] else ""
            ax.set_title(f"P={r['precision']:.2f}{empty}\nocc. pct {r['occlusion_percentile']:.2f}", fontsize=8)
            if col == 0:
                ax.set_ylabel(f"{m.subject.label}\n{m.method}", fontsize=8)
    axes[0, 0].set_ylabel("frame +\ntarget mask", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Saliency (jet) vs target object (contour). P: share of the |object| most salient pixels on the "
                 "object (ceiling 1); occ. pct: share of random patches whose hiding moved the output less", fontsize=9)
    return save(fig, path)


def attention_scores_figure(summary: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    """Per subject and level: precision with chance, shuffled null and grid ceiling; occlusion percentile."""
    fig, (ax_p, ax_o) = plt.subplots(1, 2, figsize=(12, 5.4), constrained_layout=True)
    encoders = list(dict.fromkeys(summary["encoder"]))
    levels = list(dict.fromkeys(summary["level"]))
    x = np.arange(len(levels))
    width = 0.8 / len(encoders)
    for j, enc in enumerate(encoders):
        rows = summary[summary["encoder"] == enc].set_index("level").loc[levels]
        pos = x + (j - (len(encoders) - 1) / 2) * width
        ax_p.errorbar(pos, rows["precision"], yerr=ci_error(rows, "precision", "precision_ci_low", "precision_ci_high"),
                      fmt="o", color=f"C{j}", capsize=2, label=f"{enc} ({rows['method'].iloc[0]})")
        ax_p.scatter(pos, rows["shuffled_null"], marker="x", color=f"C{j}", s=30)
        ax_p.scatter(pos, rows["chance"], marker="_", color="black", s=60)
        ax_o.errorbar(pos, rows["occlusion_percentile"],
                      yerr=ci_error(rows, "occlusion_percentile", "occlusion_ci_low", "occlusion_ci_high"),
                      fmt="o", color=f"C{j}", capsize=2, label=enc)
    pixels = summary.drop_duplicates("level").set_index("level").loc[levels, "pixel_percentile"]
    ax_o.scatter(x, pixels, marker="D", s=45, facecolors="none", edgecolors="black", zorder=3,
                 label="frame pixels (control)")
    ax_p.scatter([], [], marker="x", color="grey", label="shuffled-mask null (same colour)")
    ax_p.scatter([], [], marker="_", color="black", label="chance (object's share of frame)")
    ax_p.set(ylabel="object precision (ceiling 1)", xlabel="level", ylim=(0, None))
    ax_p.set_xticks(x, levels)
    ax_p.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax_o.axhline(0.5, color="black", ls=":", lw=1, label="null: object = random patch (0.5)")
    ax_o.set(ylabel="occlusion percentile (ceiling 1)", xlabel="level", ylim=(0, 1.05))
    ax_o.set_xticks(x, levels)
    ax_o.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax_o.set_title(f"occlusion: exact rank-test p <= {summary['occlusion_p'].max():.2g} for every point", fontsize=9)
    ax_p.set_title(f"mean grid ceiling {summary['ceiling_at_grid'].min():.2f}-{summary['ceiling_at_grid'].max():.2f}; "
                   f"shuffled-mask p >= {summary['shuffled_p'].min():.2g}", fontsize=9)
    n = summary.loc[summary["level"] == ALL_LEVELS, "frames"].iloc[0]
    fig.suptitle(f"Attention scores with 95% bootstrap CIs over frames ({n} frames in all)")
    return save(fig, path)
