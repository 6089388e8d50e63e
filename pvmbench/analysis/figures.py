"""Figures of forgetting and invariance (attention's are in attention_figures.py); every number drawn
comes from the summary tables, each with its CI and its floor or chance level beside it."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SEVERITY = "severity="
ROLE_COLOURS = {"pretrained": "tab:blue", "checkpoint": "tab:orange", "floor": "tab:gray"}


def ci_error(table: pd.DataFrame, value: str, low: str, high: str) -> np.ndarray:
    """(2, n) distances from each value to its CI ends, as errorbar wants them."""
    return np.vstack([table[value] - table[low], table[high] - table[value]]).clip(min=0)


def forgetting_figure(table: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    fig, (ax_knn, ax_cka) = plt.subplots(1, 2, figsize=(11, 0.45 * len(table) + 2.8), constrained_layout=True)
    y = np.arange(len(table))
    colours = [ROLE_COLOURS[r] for r in table["role"]]
    ax_knn.barh(y, table["knn_accuracy"], xerr=ci_error(table, "knn_accuracy", "knn_ci_low", "knn_ci_high"),
                color=colours, capsize=3)
    ax_knn.axvline(table["chance"].iloc[0], color="black", ls="--", lw=1, label=f"chance ({table['chance'].iloc[0]:.2f})")
    ax_knn.set(yticks=y, yticklabels=table["encoder"], xlim=(0, 1),
               xlabel=f"{table['k'].iloc[0]}-NN accuracy, leave one object out (95% CI over objects)")
    ax_cka.barh(y, table["cka"], xerr=ci_error(table, "cka", "cka_ci_low", "cka_ci_high"), color=colours, capsize=3,
                label="debiased CKA (95% jackknife CI)")
    ax_cka.scatter(table["cka_biased"], y, marker="x", color="black", zorder=3, label="biased CKA")
    ax_cka.axvline(table["cka_null_p95"].max(), color="black", ls="--", lw=1, label="shuffled-row null, 95th pct")
    ax_cka.axvline(table["cka_biased_null"].mean(), color="black", ls=":", lw=1, label="biased CKA's shuffled null")
    ax_cka.set(yticks=y, yticklabels=[], xlim=(min(0, table["cka"].min() - 0.05), 1.05),
               xlabel="linear CKA vs the pretrained encoder's features")
    for ax, column in ((ax_knn, "knn_accuracy"), (ax_cka, "cka")):
        ax.invert_yaxis()
        for i, v in enumerate(table[column]):
            ax.text(0.01, i, f"{v:.2f}", va="center", color="white", fontweight="bold")
    ax_knn.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8)
    ax_cka.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)
    fig.suptitle(f"Forgetting on the shape-kind probe set ({table['images'].iloc[0]} images, {table['objects'].iloc[0]} "
                 f"objects, {table['classes'].iloc[0]} classes); grey: random-init floor")
    return save(fig, path)


def invariance_figure(table: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    ladder = table["condition"].str.startswith(SEVERITY)
    named, steps = table[~ladder], table[ladder].copy()
    panels = 2 + bool(len(steps))
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 5.0), constrained_layout=True)
    encoders = list(dict.fromkeys(table["encoder"]))
    order = list(dict.fromkeys(named["condition"]))
    x = np.arange(len(order))
    width = 0.8 / len(encoders)
    for j, enc in enumerate(encoders):
        rows = named[named["encoder"] == enc].set_index("condition").loc[order]
        colour = f"C{j}"
        for ax, value, low, high in ((axes[0], "top1", "top1_ci_low", "top1_ci_high"),
                                     (axes[1], "cosine", "cosine_ci_low", "cosine_ci_high")):
            ax.errorbar(x + (j - (len(encoders) - 1) / 2) * width, rows[value], yerr=ci_error(rows, value, low, high),
                        fmt="o", color=colour, capsize=2, label=enc)
        axes[1].axhline(rows["other_state_cosine"].iloc[0], color=colour, ls="--", lw=1)
    axes[0].axhline(named["top1_chance"].iloc[0], color="black", ls=":", lw=1,
                    label=f"chance (1/{round(1 / named['top1_chance'].iloc[0])} states)")
    axes[0].set(ylabel="top-1 retrieval: nearest id frame is the same state", ylim=(-0.02, 1.02))
    axes[1].set(ylabel="centred cosine, same state: id vs shifted")
    axes[1].plot([], [], color="grey", ls="--", label="dashed: other state, same id appearance")
    for ax in axes[:2]:
        ax.set_xticks(x, order, rotation=30, ha="right")
        ax.set_xlabel("appearance of the same physical state")
    handles, labels = axes[0].get_legend_handles_labels()
    reference = axes[1].get_lines()[-1]  # the grey dashed key drawn last
    fig.legend(handles + [reference], labels + [reference.get_label()], loc="outside lower center", ncol=4, fontsize=8)
    if len(steps):
        steps["severity"] = steps["condition"].str[len(SEVERITY):].str.split(":").str[0].astype(float)
        ax = axes[2]
        for j, enc in enumerate(encoders):
            rows = steps[steps["encoder"] == enc].sort_values("severity")
            ax.errorbar(rows["severity"], rows["top1"], yerr=ci_error(rows, "top1", "top1_ci_low", "top1_ci_high"),
                        marker="o", color=f"C{j}", capsize=2, label=enc)
        ax.axhline(steps["top1_chance"].iloc[0], color="black", ls=":", lw=1)
        ax.set(xlabel="severity of every appearance factor (id -> hard)", ylabel="top-1 retrieval", ylim=(-0.02, 1.02))
    states = round(1 / table["top1_chance"].iloc[0])
    fig.suptitle(f"Invariance to appearance: {states} states ({table['scene_chance'].rdiv(1).round().iloc[0]:.0f} "
                 "seeds x steps), features centred on the id gallery; 95% CIs resample seeds", fontsize=10)
    return save(fig, path)


def save(fig, path: pathlib.Path) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
