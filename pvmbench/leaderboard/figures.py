"""The study's figures, PNG (200 dpi) and PDF, drawn from the tables of `figure_data` (plotting only).

One style for all: seaborn's colour-blind-safe "colorblind" palette with one colour per encoder, a hatch
(bars) or marker shape (lines, points) per fine-tune mode, fonts sized for a 3.5 in single column or a
7 in double column, legends outside the axes. Figures are drawn on `matplotlib.figure.Figure` with the
Agg canvas (pyplot and the global backend are left alone) inside an rc context, and saved without a
creation date, so rebuilding from the same rows gives byte-identical PNG and PDF files.
"""

from __future__ import annotations

import contextlib
import logging
import math
import pathlib
import re

import numpy as np
import pandas as pd

from pvmbench.errors import UserError
from pvmbench.leaderboard import figure_data as fd
from pvmbench.leaderboard.rows import check_single_suite_version

log = logging.getLogger(__name__)

SINGLE_W, DOUBLE_W = 3.5, 7.0  # inches: one and two paper columns
DPI = 200
SCORE_LABEL = "normalised score\n$(R - R_\\mathrm{random})\\,/\\,(R_\\mathrm{max} - R_\\mathrm{random})$"
HATCHES = {"": "", "scratch": "...", "frozen": "", "partial": "///", "full": "xxx"}
MARKERS = {"": "D", "scratch": "X", "frozen": "o", "partial": "^", "full": "s"}
_SPARE_HATCHES, _SPARE_MARKERS = ("\\\\\\", "ooo", "+++", "---"), ("v", "P", "*", "<", ">")
_LINESTYLES = ("-", "--", ":", "-.")
_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}


def _rc() -> dict:
    import seaborn as sns

    return {**sns.axes_style("whitegrid"), **sns.plotting_context("paper"),
            "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
            "ytick.labelsize": 7, "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 9,
            "axes.edgecolor": "0.3", "hatch.linewidth": 0.6, "errorbar.capsize": 2,
            "pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "pvmbench", "savefig.dpi": DPI}


class Style:
    """Colour per encoder and hatch/marker per mode, fixed for every figure drawn from one set of rows."""

    def __init__(self, labels):
        import seaborn as sns

        encoders = fd.encoder_order(labels)
        palette = sns.color_palette("colorblind", max(len(encoders), 1))
        self.colours = {enc: palette[i % len(palette)] for i, enc in enumerate(encoders)}
        modes = sorted({fd.parse_label(label)[1] for label in labels} - set(HATCHES))
        self.hatches = {**HATCHES, **{m: _SPARE_HATCHES[i % 4] for i, m in enumerate(modes)}}
        self.markers = {**MARKERS, **{m: _SPARE_MARKERS[i % 5] for i, m in enumerate(modes)}}

    def colour(self, label):
        return self.colours[fd.parse_label(label)[0]]

    def hatch(self, label):
        return self.hatches[fd.parse_label(label)[1]]

    def marker(self, label):
        return self.markers[fd.parse_label(label)[1]]

    def bar_handle(self, label):
        from matplotlib.patches import Patch

        return Patch(facecolor=self.colour(label), edgecolor="0.15", linewidth=0.5, hatch=self.hatch(label),
                     label=label)


def _figure(n_panels: int, width: float, panel_h: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = 1 if n_panels == 1 else 2
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(width, panel_h * nrows + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels], ncols


def _legend(fig, handles, title: str) -> None:
    ncols = min(len(handles), 4 if fig.get_figwidth() > SINGLE_W else 2)
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, title=title, frameon=False,
               handlelength=1.6 if ncols > 1 else 2.0, columnspacing=1.2)


def _n_text(n: pd.Series) -> str:
    lo, hi = int(n.min()), int(n.max())
    return f"n = {lo}" if lo == hi else f"n = {lo}\u2013{hi}"


def scores_by_level(fig_rows: pd.DataFrame, style: Style):
    data = fig_rows[fig_rows["n"] > 0]
    agents = fd.agent_order(data["agent_label"])
    envs = sorted(data["env_id"].unique())
    levels = list(dict.fromkeys(data["level"]))
    levels = [lv for lv in fd.LEVEL_ORDER if lv in levels] + [lv for lv in levels if lv not in fd.LEVEL_ORDER]
    wide = len(envs) > 1 or len(agents) * len(levels) > 12
    fig, axes, ncols = _figure(len(envs), DOUBLE_W if wide else SINGLE_W, 2.3)
    width = 0.8 / len(agents)
    for i, (ax, env) in enumerate(zip(axes, envs, strict=True)):
        at_env = data[data["env_id"] == env].set_index(["agent_label", "level"])
        for k, agent in enumerate(agents):
            pos = [(j, at_env.loc[(agent, lv)]) for j, lv in enumerate(levels) if (agent, lv) in at_env.index]
            if not pos:
                continue
            x = np.array([j for j, _ in pos]) - 0.4 + width * (k + 0.5)
            mean = np.array([r["mean"] for _, r in pos])
            err = np.array([[m - r["ci_low"], r["ci_high"] - m] for m, (_, r) in zip(mean, pos, strict=True)]).T
            ax.bar(x, mean, width * 0.92, color=style.colour(agent), hatch=style.hatch(agent), edgecolor="0.15",
                   linewidth=0.5, yerr=err, error_kw={"elinewidth": 0.8, "ecolor": "0.1"}, zorder=2)
        ax.axhline(0, color="0.3", linewidth=0.8, zorder=1)
        ax.set_xticks(range(len(levels)), levels)
        ax.set_xlabel("shift level")
        ax.set_ylabel(SCORE_LABEL if i % ncols == 0 else "")
        ax.set_title(env)
    fig.suptitle(f"Normalised score by shift level\nmean and 95% bootstrap CI; {_n_text(data['n'])} "
                 "episodes per bar, failed excluded")
    _legend(fig, [style.bar_handle(a) for a in agents], "agent (colour: encoder, hatch: fine-tune mode)")
    return fig


def severity_ladder(curve: pd.DataFrame, style: Style):
    from matplotlib.lines import Line2D

    data = curve[curve["n"] > 0]
    envs = sorted(data["env_id"].unique())
    factor_sets = list(dict.fromkeys(data["factors"]))
    dash = {f: _LINESTYLES[i % len(_LINESTYLES)] for i, f in enumerate(factor_sets)}
    fig, axes, ncols = _figure(len(envs), DOUBLE_W if len(envs) > 1 else SINGLE_W, 2.3)
    handles = {}
    for i, (ax, env) in enumerate(zip(axes, envs, strict=True)):
        for (agent, factors), line in data[data["env_id"] == env].groupby(["agent_label", "factors"], sort=False):
            label = agent if len(factor_sets) == 1 else f"{agent} [{factors}]"
            kw = {"color": style.colour(agent), "linestyle": dash[factors]}
            ax.fill_between(line["severity"], line["ci_low"], line["ci_high"], alpha=0.2, linewidth=0,
                            color=kw["color"])
            ax.plot(line["severity"], line["mean"], marker=style.marker(agent), markersize=4, linewidth=1.2, **kw)
            handles[label] = Line2D([], [], marker=style.marker(agent), markersize=4, label=label, **kw)
        ax.axhline(0, color="0.3", linewidth=0.8, zorder=1)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("shift severity s (0 \u2192 1 along the suite's ladder, e.g. id \u2192 hard)")
        ax.set_ylabel(SCORE_LABEL if i % ncols == 0 else "")
        ax.set_title(env)
    fig.suptitle(f"Normalised score vs shift severity\nmean and 95% bootstrap CI band; {_n_text(data['n'])} "
                 "episodes per point")
    order = [h for a in fd.agent_order(data["agent_label"]) for k, h in handles.items() if k.split(" [")[0] == a]
    _legend(fig, order, "agent (colour: encoder, marker: fine-tune mode)")
    return fig


def _repel(ax, texts, step: float = 1.0) -> None:
    """Move overlapping point labels apart vertically (display units), deterministically."""
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for text in sorted(texts, key=lambda t: t.get_position()[1]):
        for _ in range(200):
            box = text.get_window_extent(renderer).expanded(1.05, 1.15)
            if not any(box.overlaps(other) for other in placed):
                break
            x, y = text.get_position()  # offset in points from the annotated point
            text.set_position((x, y + step * 2))
        placed.append(text.get_window_extent(renderer))


def robustness_scatter(rob: pd.DataFrame, style: Style):
    envs = sorted(rob["env_id"].unique())
    fig, axes, ncols = _figure(len(envs), DOUBLE_W if len(envs) > 1 else SINGLE_W, 2.6)
    for i, (ax, env) in enumerate(zip(axes, envs, strict=True)):
        at_env = rob[rob["env_id"] == env]
        shown = at_env[(at_env["id_ci_low"] > 0) & at_env["drop_pct"].notna()]
        hidden = [a for a in fd.agent_order(at_env["agent_label"]) if a not in set(shown["agent_label"])]
        for r in shown.itertuples():
            ax.errorbar(r.id_score, r.drop_pct, xerr=[[r.id_score - r.id_ci_low], [r.id_ci_high - r.id_score]],
                        marker=style.marker(r.agent_label), color=style.colour(r.agent_label), markersize=5,
                        elinewidth=0.8, markeredgecolor="0.15", markeredgewidth=0.5, linestyle="none", zorder=3)
        ax.axhline(0, color="0.3", linewidth=0.8, zorder=1)
        ax.set_xlim(-0.05, max(1.05, float(shown["id_ci_high"].max()) + 0.05) if len(shown) else 1.05)
        ys = shown["drop_pct"].to_numpy(float)
        lo, hi = (min(ys.min(), 0.0), max(ys.max(), 0.0)) if len(ys) else (0.0, 10.0)
        pad = max(5.0, 0.15 * (hi - lo))
        ax.set_ylim(lo - pad, hi + pad)
        texts = [ax.annotate(r.agent_label, (r.id_score, r.drop_pct), xytext=(-6 if r.id_score > 0.6 else 6, 4),
                             textcoords="offset points", ha="right" if r.id_score > 0.6 else "left",
                             va="bottom", fontsize=7, zorder=4) for r in shown.itertuples()]
        fig.canvas.draw()
        _repel(ax, texts)
        ax.set_xlabel("ID normalised score (mean, 95% CI)")
        ax.set_ylabel("drop % on hard = 100 (1 \u2212 hard / id)" if i % ncols == 0 else "")
        title = env + (f"\nnot shown (ID score not above random, drop undefined): {', '.join(hidden)}"
                       if hidden else "")
        ax.set_title(title)
    fig.suptitle("Robustness: in-distribution score vs relative drop on hard\n"
                 "lower right is better; 0 % = no loss, negative = better on hard")
    return fig


def gallery_figure(env_id: str, png: pathlib.Path):
    import matplotlib.image as mpimg

    try:
        image = mpimg.imread(png)
    except Exception as exc:  # missing file, not an image
        raise UserError(f"--gallery {env_id}={png}: not a readable PNG ({type(exc).__name__})") from None
    h, w = image.shape[:2]
    fig, axes, _ = _figure(1, DOUBLE_W, DOUBLE_W * h / w - 0.5)
    axes[0].imshow(image, interpolation="nearest")
    axes[0].set_axis_off()
    fig.suptitle(f"Shift gallery: {env_id}\nfirst frames after reset, a row per shift level, a column per seed")
    return fig


def _slug(env_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", env_id).strip("_")


def write_figures(rows: pd.DataFrame, out_dir, galleries: dict[str, str | pathlib.Path] | None = None
                  ) -> list[pathlib.Path]:
    """Write scores_by_level, severity_ladder, robustness_scatter and gallery_<env> as PNG and PDF.

    A figure with no rows to show (no named levels, no severity sweep) is skipped with a logged
    warning. Returns the paths written, PNG then PDF for each figure.
    """
    import matplotlib

    check_single_suite_version(rows)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    style = Style(rows["agent_label"].unique())
    levels, curve, rob = fd.level_scores(rows), fd.severity_curve(rows), fd.robustness(rows)
    plans = [("scores_by_level", lambda: scores_by_level(levels, style), (levels["n"] > 0).any(),
              "no rows at a named level (id, easy, hard); run eval with --shift all"),
             ("severity_ladder", lambda: severity_ladder(curve, style), (curve["n"] > 0).any(),
              "no severity-sweep rows; run eval with --shift severity=0,0.25,0.5,0.75,1"),
             ("robustness_scatter", lambda: robustness_scatter(rob, style), rob["drop_pct"].notna().any(),
              "no agent has both id and hard rows with an ID score above 0")]
    plans += [(f"gallery_{_slug(env)}", lambda env=env, png=png: gallery_figure(env, pathlib.Path(png)), True, "")
              for env, png in sorted((galleries or {}).items())]
    written = []
    with matplotlib.rc_context(_rc()):
        for name, draw, has_data, why in plans:
            if not has_data:
                log.warning("%s skipped: %s", name, why)
                continue
            fig = draw()
            for ext in ("png", "pdf"):
                path = out / f"{name}.{ext}"
                with contextlib.ExitStack():
                    fig.savefig(path, dpi=DPI, metadata=_METADATA[ext])
                written.append(path)
    return written
