"""Figures of the three analyses; the numbers come from the tables the analysis modules return."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pvmbench.analysis.attention import AttentionFrames  # noqa: E402

SEVERITY = "severity="


def forgetting_figure(table: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    fig, (ax_knn, ax_cka) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    y = np.arange(len(table))
    ax_knn.barh(y, table["knn_accuracy"], color="tab:blue")
    ax_knn.axvline(table["chance"].iloc[0], color="grey", ls="--", label="chance")
    ax_knn.set(yticks=y, yticklabels=table["encoder"], xlim=(0, 1),
               xlabel=f"{table['k'].iloc[0]}-NN accuracy (leave one object out)")
    ax_knn.legend(loc="lower right")
    ax_cka.barh(y, table["cka_vs_pretrained"], color="tab:orange")
    ax_cka.set(yticks=y, yticklabels=[], xlim=(0, 1.05), xlabel="linear CKA vs pretrained")
    for ax, column in ((ax_knn, "knn_accuracy"), (ax_cka, "cka_vs_pretrained")):
        ax.invert_yaxis()
        for i, v in enumerate(table[column]):
            ax.text(min(v, 0.9) + 0.01, i, f"{v:.2f}", va="center")
    fig.suptitle(f"Forgetting on the shape-kind probe set ({table['images'].iloc[0]} images, "
                 f"{table['objects'].iloc[0]} objects, {table['classes'].iloc[0]} classes)")
    return _save(fig, path)


def invariance_figure(table: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    ladder = table["level"].str.startswith(SEVERITY)
    named, steps = table[~ladder], table[ladder].copy()
    panels = 1 + bool(len(steps))
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 3.8), constrained_layout=True, squeeze=False)
    order = list(dict.fromkeys(named["level"]))
    stats = named.groupby(["encoder", "level"], sort=False)["cosine"].agg(["mean", "sem"]).reset_index()
    ax = axes[0, 0]
    for enc, group in stats.groupby("encoder", sort=False):
        group = group.set_index("level").loc[order]
        ax.errorbar(order, group["mean"], yerr=group["sem"].fillna(0), marker="o", capsize=3, label=enc)
    ax.set(xlabel="appearance of level (same physical state)", ylabel="cosine(id features, shifted features)")
    ax.legend(fontsize=8)
    if len(steps):
        steps["severity"] = steps["level"].str[len(SEVERITY):].astype(float)
        curve = steps.groupby(["encoder", "severity"], sort=False)["cosine"].agg(["mean", "sem"]).reset_index()
        ax = axes[0, 1]
        for enc, group in curve.groupby("encoder", sort=False):
            group = group.sort_values("severity")
            ax.errorbar(group["severity"], group["mean"], yerr=group["sem"].fillna(0), marker="o", capsize=3, label=enc)
        ax.set(xlabel="severity (id -> hard appearance)", ylabel="cosine similarity")
    frames = len(table) // max(1, table["encoder"].nunique())
    fig.suptitle(f"Feature invariance to appearance shift (mean +- s.e.m. over {table['seed'].nunique()} seeds x "
                 f"{table['step'].nunique()} steps; {frames} frame pairs per encoder)")
    return _save(fig, path)


def attention_figure(frames: AttentionFrames, maps: dict[tuple[str, str], np.ndarray], table: pd.DataFrame,
                     path: pathlib.Path, columns_per_level: int = 2) -> pathlib.Path:
    """Rows: the frame with its target mask, then one row per encoder; columns: frames by level."""
    picks = [i for _, group in frames.index.groupby("level", sort=False) for i in group.index[:columns_per_level]]
    rows = 1 + len(maps)
    fig, axes = plt.subplots(rows, len(picks), figsize=(1.7 * len(picks) + 1.5, 1.8 * rows), squeeze=False,
                             constrained_layout=True)
    for col, i in enumerate(picks):
        level, seed = frames.index.loc[i, ["level", "seed"]]
        ax = axes[0, col]
        ax.imshow(frames.images[i])
        ax.contour(frames.masks[i], levels=[0.5], colors="cyan", linewidths=0.8)
        ax.set_title(f"{level}, seed {seed}", fontsize=8)
        for row, ((label, method), per_frame) in enumerate(maps.items(), start=1):
            ax = axes[row, col]
            ax.imshow(frames.images[i])
            ax.imshow(per_frame[i], cmap="jet", alpha=0.45, vmin=0, vmax=1)
            ax.contour(frames.masks[i], levels=[0.5], colors="white", linewidths=0.8)
            j = table.loc[(table["frame"] == i) & (table["encoder"] == label) & (table["method"] == method), "jaccard"]
            ax.set_title("empty map" if np.isnan(j.iloc[0]) else f"J={j.iloc[0]:.2f}", fontsize=8)
            if col == 0:
                ax.set_ylabel(f"{label}\n{method}", fontsize=8)
    axes[0, 0].set_ylabel("frame +\ntarget mask", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    top = table["top"].iloc[0]
    fig.suptitle(f"Saliency (jet) vs target object (contour); J = Jaccard of top {top:.0%} pixels and mask",
                 fontsize=9)
    return _save(fig, path)


def _save(fig, path: pathlib.Path) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
