"""The study's figures, PNG (200 dpi) and PDF, drawn from the tables of `figure_data` (plotting only).

One style for all: seaborn's colour-blind-safe "colorblind" palette with one colour per encoder, a hatch
(bars) or marker shape (lines, points) per fine-tune mode, fonts sized for a 3.5 in single column or a
7 in double column, legends outside the axes. Figures are drawn on `matplotlib.figure.Figure` with the
Agg canvas (pyplot and the global backend are left alone) inside an rc context, and saved without a
creation date, so rebuilding from the same rows gives byte-identical PNG and PDF files.
"""

from __future__ import annotations

import logging
import math
import pathlib
import re

import numpy as np
import pandas as pd

from pvmbench.errors import UserError
from pvmbench.leaderboard import figure_data as fd
from pvmbench.leaderboard.factor_figure import factor_heatmap
from pvmbench.leaderboard.factors import factor_table
from pvmbench.leaderboard.rows import check_single_suite_version

log = logging.getLogger(__name__)

SINGLE_W, DOUBLE_W = 3.5, 7.0  # inches: one and two paper columns
DPI = 200
SCORE_LABEL = "normalised score\n$(R - R_\\mathrm{random})\\,/\\,(R_\\mathrm{max} - R_\\mathrm{random})$"
HATCHES = {"": "", "scratch": "...", "frozen": "", "partial": "///", "full": "xxx"}
MARKERS = {"": "D", "scratch": "X", "frozen": "o", "partial": "^", "full": "s"}
_SPARE_HATCHES, _SPARE_MARKERS = ("\\\\\\", "ooo", "+++", "---"), ("v", "P", "*", "<", ">")
_LINESTYLES = ("-", "--", ":", "-.")
_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None}}


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


def _figure(n_panels: int, width: float, panel_h: float, sharey: bool = False):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = 1 if n_panels == 1 else 2
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(width, panel_h * nrows + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels], ncols


def _legend(fig, handles, title: str) -> None:
    ncols = min(len(handles), 4 if fig.get_figwidth() > SINGLE_W else 2)
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, title=title, frameon=False,
               handlelength=1.6 if ncols > 1 else 2.0, columnspacing=1.2)


def _stats_line(data: pd.DataFrame, unit: str) -> str:
    """'mean ± 95% bootstrap CI; n = 6 per bar' (with the failed count when episodes failed)."""
    lo, hi = int(data["n"].min()), int(data["n"].max())
    n = f"n = {lo}" if lo == hi else f"n = {lo}\u2013{hi}"
    failed = int(data["failed"].sum())
    if failed:
        return f"mean \u00b1 95% CI; {n} per {unit}, {failed} failed not scored"
    return f"mean \u00b1 95% bootstrap CI; {n} per {unit}"


def scores_by_level(scores: pd.DataFrame, style: Style):
    """Grouped bars: a group per level, a bar per agent (by encoder, then mode), 95% CI whiskers."""
    from matplotlib.patches import Patch

    data = scores[scores["n"] > 0]
    agents, levels = fd.agent_order(data["agent_label"]), fd.level_order(data["level"])
    envs = sorted(data["env_id"].unique())
    wide = len(envs) > 1 or len(agents) * len(levels) > 12
    fig, axes, ncols = _figure(len(envs), DOUBLE_W if wide else SINGLE_W, 2.3, sharey=True)
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
        ax.grid(axis="x", visible=False)
    fig.suptitle(f"Normalised score by shift level\n{_stats_line(data, 'bar')}")
    handles = [Patch(facecolor=style.colour(a), edgecolor="0.15", linewidth=0.5, hatch=style.hatch(a), label=a)
               for a in agents]
    _legend(fig, handles, "agent (colour: encoder, hatch: fine-tune mode)")
    return fig


def severity_ladder(curve: pd.DataFrame, style: Style):
    """Score vs severity: a line per agent (and factor set) with its 95% CI band."""
    from matplotlib.lines import Line2D

    data = curve[curve["n"] > 0]
    envs = sorted(data["env_id"].unique())
    factor_sets = list(dict.fromkeys(data["factors"]))
    dash = {f: _LINESTYLES[i % len(_LINESTYLES)] for i, f in enumerate(factor_sets)}
    fig, axes, ncols = _figure(len(envs), DOUBLE_W if len(envs) > 1 else SINGLE_W, 2.3, sharey=True)
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
        ax.set_xlabel("shift severity s\n(0 \u2192 1 along the suite's ladder, e.g. id \u2192 hard)")
        ax.set_ylabel(SCORE_LABEL if i % ncols == 0 else "")
        ax.set_title(env)
    fig.suptitle(f"Normalised score vs shift severity\n{_stats_line(data, 'point')}")
    order = [h for a in fd.agent_order(data["agent_label"]) for k, h in handles.items() if k.split(" [")[0] == a]
    extra = ", line: factors moved" if len(factor_sets) > 1 else ""
    _legend(fig, order, f"agent (colour: encoder, marker: fine-tune mode{extra})")
    return fig


def factor_ladders(ladder: pd.DataFrame, style: Style):
    """Score along each factor's own ladder, a panel per (env, factor), a line per agent with its CI band;
    a dotted vertical line marks where the agent breaks (score below half its ID score)."""
    from matplotlib.lines import Line2D

    data = ladder[ladder["n"] > 0]
    panels = list(dict.fromkeys(zip(data["env_id"], data["factor"], strict=True)))
    fig, axes, ncols = _figure(len(panels), DOUBLE_W if len(panels) > 1 else SINGLE_W, 2.3, sharey=True)
    handles = {}
    for i, (ax, (env, factor)) in enumerate(zip(axes, panels, strict=True)):
        at = data[(data["env_id"] == env) & (data["factor"] == factor)]
        for agent, line in at.groupby("agent_label", sort=False):
            colour = style.colour(agent)
            ax.fill_between(line["severity"], line["ci_low"], line["ci_high"], alpha=0.2, linewidth=0, color=colour)
            ax.plot(line["severity"], line["mean"], marker=style.marker(agent), markersize=4, linewidth=1.2,
                    color=colour)
            breaking = float(line["breaking_point"].iloc[0])
            if np.isfinite(breaking):
                ax.axvline(breaking, color=colour, linestyle=":", linewidth=1.0)
            handles.setdefault(agent, Line2D([], [], marker=style.marker(agent), markersize=4, color=colour,
                                             label=agent))
        ax.axhline(0, color="0.3", linewidth=0.8, zorder=1)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel(f"{factor} alone, s (0 = id, 1 = hard)")
        ax.set_ylabel(SCORE_LABEL if i % ncols == 0 else "")
        ax.set_title(f"{env}: {factor}")
    fig.suptitle(f"Normalised score along one factor's ladder (dotted: breaking point)\n{_stats_line(data, 'point')}")
    _legend(fig, [handles[a] for a in fd.agent_order(handles)], "agent (colour: encoder, marker: fine-tune mode)")
    return fig


_DIRECTIONS = ((1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
               (0, -1, "center", "top"), (1, 1, "left", "bottom"), (-1, 1, "right", "bottom"),
               (1, -1, "left", "top"), (-1, -1, "right", "top"))


def _segments_cross(p1, p2, q1, q2) -> bool:
    def side(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    return side(p1, p2, q1) != side(p1, p2, q2) and side(q1, q2, p1) != side(q1, q2, p2)


def _crosses(p, q, box) -> bool:
    """Does the segment p-q touch the box (display units)?"""
    c = [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]
    return box.contains(*p) or box.contains(*q) or any(_segments_cross(p, q, c[i - 1], c[i]) for i in range(4))


def _place_labels(ax, points: list[tuple[float, float, float, float]], labels: list[str]) -> None:
    """Label each point (x, y, ci_low, ci_high) at the nearest of 8 directions x 5 distances where the text
    stays in the axes, overlaps no marker, error bar or label, and its leader line crosses nothing; greedy
    and deterministic (the least bad spot when none is free)."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    fig = ax.figure
    fig.canvas.draw()  # settle the layout so display coordinates are final
    renderer, to_px, px = fig.canvas.get_renderer(), ax.transData.transform, fig.dpi / 72.0
    frame = ax.get_window_extent(renderer)
    centres = [tuple(to_px((x, y))) for x, y, _, _ in points]
    markers = [Bbox.from_extents(cx - 5 * px, cy - 5 * px, cx + 5 * px, cy + 5 * px) for cx, cy in centres]
    bars = [Bbox.from_extents(to_px((lo, y))[0], cy - px, to_px((hi, y))[0], cy + px)
            for (_, y, lo, hi), (_, cy) in zip(points, centres, strict=True)]
    boxes, leaders = [], []

    def area(box) -> float:
        return box.width * box.height if box is not None else 0.0

    def text_box(annotation):  # the text alone, without its leader line
        annotation.update_positions(renderer)
        return Text.get_window_extent(annotation, renderer).padded(2 * px, 1 * px)

    def cost(k: int, box) -> float:
        centre = centres[k]
        anchor = (float(np.clip(centre[0], box.x0, box.x1)), float(np.clip(centre[1], box.y0, box.y1)))
        others = [m for j, m in enumerate(markers) if j != k] + boxes
        crossings = sum(_crosses(anchor, centre, o) for o in others)
        crossings += sum(_segments_cross(anchor, centre, a, b) for a, b in leaders)
        crossings += sum(_crosses(a, b, box) for a, b in leaders)
        outside = area(box) - area(Bbox.intersection(box, frame))
        overlap = sum(area(Bbox.intersection(box, o)) for o in markers + bars + boxes)
        return 1e6 * crossings + 10 * outside + overlap, anchor

    order = sorted(range(len(points)), key=lambda k: (-centres[k][1], centres[k][0]))
    for k in order:
        text = ax.annotate(labels[k], points[k][:2], xytext=(8, 0), textcoords="offset points", fontsize=7, zorder=4,
                           arrowprops={"arrowstyle": "-", "color": "0.45", "linewidth": 0.5, "shrinkA": 1,
                                       "shrinkB": 4})
        text.set_in_layout(False)
        best = None
        for r in (8, 12, 18, 26, 36):
            for dx, dy, ha, va in _DIRECTIONS:
                text.set(x=dx * r, y=dy * r * 0.8, ha=ha, va=va)
                c, anchor = cost(k, text_box(text))
                if best is None or c < best[0]:
                    best = (c, (dx * r, dy * r * 0.8, ha, va), anchor)
                if c == 0:
                    break
            if best[0] == 0:
                break
        text.set(**dict(zip(("x", "y", "ha", "va"), best[1], strict=True)))
        boxes.append(text_box(text))
        leaders.append((best[2], centres[k]))


def robustness_scatter(rob: pd.DataFrame, style: Style):
    """ID score (x, 95% CI) vs drop % on hard (y), a labelled point per agent whose ID CI is above 0."""
    envs = sorted(rob["env_id"].unique())
    fig, axes, ncols = _figure(len(envs), DOUBLE_W if len(envs) > 1 else SINGLE_W, 2.6)
    to_label = []
    for i, (ax, env) in enumerate(zip(axes, envs, strict=True)):
        at_env = rob[rob["env_id"] == env]
        shown = at_env[at_env["drop_shown"]]
        hidden = [a for a in fd.agent_order(at_env["agent_label"]) if a not in set(shown["agent_label"])]
        for r in shown.itertuples():
            ax.errorbar(r.id_score, r.drop_pct, xerr=[[r.id_score - r.id_ci_low], [r.id_ci_high - r.id_score]],
                        marker=style.marker(r.agent_label), color=style.colour(r.agent_label), markersize=5,
                        elinewidth=0.8, markeredgecolor="0.15", markeredgewidth=0.5, linestyle="none", zorder=3)
        ax.axhline(0, color="0.3", linewidth=0.8, zorder=1)
        ax.set_xlim(-0.05, max(1.05, shown["id_ci_high"].max() + 0.05) if len(shown) else 1.05)
        ys = [0.0, *shown["drop_pct"]]
        lo, hi = min(ys), max(ys)
        ax.set_ylim(lo - max(5.0, 0.15 * (hi - lo)), hi + max(5.0, 0.15 * (hi - lo)))
        to_label.append((ax, [(r.id_score, r.drop_pct, r.id_ci_low, r.id_ci_high) for r in shown.itertuples()],
                         list(shown["agent_label"])))
        ax.set_xlabel("ID normalised score (mean, 95% CI)")
        ax.set_ylabel("drop % on hard = 100 (1 \u2212 hard / id)" if i % ncols == 0 else "")
        ax.set_title(env + (f"\nnot shown (ID CI includes 0): {', '.join(hidden)}" if hidden else ""))
    fig.suptitle("Robustness: ID score vs drop on hard\nbetter: to the right (ID) and lower (drop)")
    for ax, points, labels in to_label:  # once the layout is complete, so label positions are final
        _place_labels(ax, points, labels)
    return fig


def gallery_figure(env_id: str, png: pathlib.Path):
    """A shift-gallery PNG (`pvmbench shifts gallery`) at double-column width, with a title."""
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
    """Write scores_by_level, severity_ladder, robustness_scatter, factor_heatmap and gallery_<env> as PNG and PDF.

    A figure with no rows to show (no named levels, no severity sweep) is skipped with a logged
    warning. Returns the paths written, PNG then PDF for each figure.
    """
    import matplotlib

    check_single_suite_version(rows)
    for env, png in (galleries or {}).items():
        if not pathlib.Path(png).is_file():
            raise UserError(f"--gallery {env}={png}: no such file")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    style = Style(rows["agent_label"].unique())
    levels, curve, rob = fd.level_scores(rows), fd.severity_curve(rows), fd.robustness(rows)
    factors = factor_table(rows)
    factors = factors[factors["kind"] == "factor"]  # the heat map shows factors; the tables add the sums
    ladder = fd.factor_ladder(rows)
    plans = [("scores_by_level", lambda: scores_by_level(levels, style), (levels["n"] > 0).any(),
              "no rows at a named level (id, easy, hard); run eval with --shift all"),
             ("severity_ladder", lambda: severity_ladder(curve, style), (curve["n"] > 0).any(),
              "no severity-sweep rows; run eval with --shift severity=0,0.25,0.5,0.75,1"),
             ("robustness_scatter", lambda: robustness_scatter(rob, style), rob["drop_shown"].any(),
              "no agent has id and hard rows and an ID score whose 95% CI is above 0"),
             ("factor_heatmap", lambda: factor_heatmap(factors), not factors.empty,
              "no factor-level rows; run eval with --shift factors"),
             ("factor_ladders", lambda: factor_ladders(ladder, style), (ladder["n"] > 0).any(),
              "no factor-ladder rows; run eval with --shift factor=<name>@0,0.5,1")]
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
                fig.savefig(path, dpi=DPI, metadata=_METADATA[ext])
                written.append(path)
    return written
