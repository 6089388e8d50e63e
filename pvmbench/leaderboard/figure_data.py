"""The numbers behind the study's figures: tidy DataFrames computed from result rows only.

No plotting here (see `figures.py`). Every function takes the episode rows `load_results` returns and
gives one row per (agent_label, env_id, level or severity), with the mean normalised score and its 95%
bootstrap percentile CI from `pvmbench.benchmark.level_stats`, with a fixed ``random_state``, so the
numbers are the same on every run and match the `pvmbench eval` summary table. Failed episodes, and
episodes with a non-finite score, are not scored (they are counted in ``failed``; level_stats' rule).
Episodes are resampled within strata of ``checkpoint_sha256`` (a training seed or checkpoint each), as
the stratified bootstrap of rliable does.

``agent_label`` is ``<encoder>/<mode>`` for learned agents (``dinov2/frozen``) and a bare name for
baselines (``scripted``); it is parsed into ``encoder`` and ``mode`` (``""`` when absent) for grouping.
"""

from __future__ import annotations

import math

import pandas as pd

from pvmbench.benchmark.level_stats import level_order, level_stats
from pvmbench.benchmark.statistics import breaking_point_severity, drop_percent
from pvmbench.shifts.spec import FACTOR

MODE_ORDER = ("", "scratch", "frozen", "partial", "full")
REPS = 2000
SEED = 0
_STAT_COLUMNS = ["n", "failed", "mean", "ci_low", "ci_high"]


def parse_label(label: str) -> tuple[str, str]:
    """``"dinov2/partial"`` -> ``("dinov2", "partial")``; ``"scripted"`` -> ``("scripted", "")``."""
    encoder, _, mode = str(label).partition("/")
    return encoder, mode


def agent_order(labels) -> list[str]:
    """Agents grouped by encoder, then by fine-tune mode: learned encoders (alphabetical) first, then
    the baselines (labels without a mode), each encoder's modes as in MODE_ORDER."""
    def key(label: str):
        encoder, mode = parse_label(label)
        mode_rank = MODE_ORDER.index(mode) if mode in MODE_ORDER else len(MODE_ORDER)
        return (mode == "", encoder, mode_rank, mode)

    return sorted(set(labels), key=key)


def encoder_order(labels) -> list[str]:
    """Encoders in the order their agents appear in `agent_order` (one colour each)."""
    return list(dict.fromkeys(parse_label(label)[0] for label in agent_order(labels)))


def _level_stats(rows: pd.DataFrame, by: list[str], reps: int, random_state: int) -> pd.DataFrame:
    """`level_stats` by checkpoint, under this module's column names (mean, ci_low, ci_high)."""
    stats = level_stats(rows, "checkpoint_sha256", by=by, reps=reps, random_state=random_state)
    stats = stats.rename(columns={"score": "mean", "score_ci_low": "ci_low", "score_ci_high": "ci_high"})
    return stats[[*by, "level", *_STAT_COLUMNS]]


def _with_parts(frame: pd.DataFrame) -> pd.DataFrame:
    parts = [parse_label(label) for label in frame["agent_label"]]
    frame = frame.copy()
    frame.insert(1, "encoder", [p[0] for p in parts])
    frame.insert(2, "mode", [p[1] for p in parts])
    return frame


def _sort(frame: pd.DataFrame, by: list[str], orders: dict[str, list]) -> pd.DataFrame:
    """Sort by the columns ``by``; those named in ``orders`` by position in the given list."""
    return frame.sort_values(by, kind="stable", key=lambda col: (
        col.map({v: i for i, v in enumerate(orders[col.name])}) if col.name in orders else col))


def _named_levels(rows: pd.DataFrame) -> pd.DataFrame:
    # Factor levels (factor=<name>) have their own table (factors.py): a bar per factor would bury the study's
    # id / easy / hard comparison.
    return rows[rows["severity"].isna() & ~rows["level"].astype(str).str.startswith(FACTOR)]


def _sweep(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["severity"].notna()]


def level_scores(rows: pd.DataFrame, reps: int = REPS, random_state: int = SEED) -> pd.DataFrame:
    """Mean normalised score with 95% CI per agent_label x env_id x named level (id, easy, hard...).

    Columns: agent_label, encoder, mode, env_id, level, n, failed, mean, ci_low, ci_high. Sorted by
    env, agent (`agent_order`) and level (id, easy, hard, then other levels alphabetically).
    """
    frame = _level_stats(_named_levels(rows), ["agent_label", "env_id"], reps, random_state)
    orders = {"agent_label": agent_order(frame["agent_label"]), "level": level_order(frame["level"])}
    frame = _sort(frame, ["env_id", "agent_label", "level"], orders)
    return _with_parts(frame.reset_index(drop=True))


def severity_curve(rows: pd.DataFrame, reps: int = REPS, random_state: int = SEED) -> pd.DataFrame:
    """Mean normalised score with 95% CI per agent_label x env_id x severity, from severity-sweep rows.

    Columns: agent_label, encoder, mode, env_id, factors, severity, n, failed, mean, ci_low, ci_high.
    ``factors`` is ``"all"`` for ``severity=s`` and the factor list for ``severity=s:lighting,camera``,
    so sweeps that move different factors stay separate curves. Empty (with these columns) when the rows
    hold no sweep.
    """
    sweep = _sweep(rows).copy()
    sweep["factors"] = [lv.partition(":")[2] or "all" for lv in sweep["level"].astype(str)]
    keys = ["agent_label", "env_id", "factors", "severity"]
    # A sweep level's label is canonical ("severity=0.5:lighting"), so it adds nothing to these keys.
    frame = _level_stats(sweep, keys, reps, random_state).drop(columns="level")
    agents = agent_order(frame["agent_label"])
    frame = _sort(frame, ["env_id", "agent_label", "factors", "severity"], {"agent_label": agents})
    return _with_parts(frame.reset_index(drop=True))


def robustness(rows: pd.DataFrame, ood_level: str = "hard", reps: int = REPS,
               random_state: int = SEED) -> pd.DataFrame:
    """ID score and drop % on ``ood_level`` per agent_label x env_id.

    Columns: agent_label, encoder, mode, env_id, id_score, id_ci_low, id_ci_high, id_n, ood_level,
    ood_score, ood_n, drop_pct, drop_shown. drop_pct = 100 * (1 - ood / id) (`statistics.drop_percent`):
    nan when the agent lacks either level or its ID score is not above 0 (no better than random, nothing
    to lose). drop_shown: drop_pct is defined and the ID score's 95% CI is above 0; otherwise the drop is
    a ratio of noise (a random policy's ID score is ~0) and the robustness figure leaves the agent out.
    Scores and CIs are those of `level_scores`.
    """
    scores = level_scores(rows, reps, random_state)
    out = []
    for (agent, env), group in scores.groupby(["agent_label", "env_id"], sort=False):
        by_level = group.set_index("level")
        ident = by_level.loc["id"] if "id" in by_level.index else None
        ood = by_level.loc[ood_level] if ood_level in by_level.index else None
        id_score = ident["mean"] if ident is not None else math.nan
        ood_score = ood["mean"] if ood is not None else math.nan
        out.append({
            "agent_label": agent, "env_id": env, "id_score": id_score,
            "id_ci_low": ident["ci_low"] if ident is not None else math.nan,
            "id_ci_high": ident["ci_high"] if ident is not None else math.nan,
            "id_n": int(ident["n"]) if ident is not None else 0, "ood_level": ood_level,
            "ood_score": ood_score, "ood_n": int(ood["n"]) if ood is not None else 0,
            "drop_pct": drop_percent(id_score, ood_score) if not math.isnan(ood_score) else math.nan,
        })
    columns = ["agent_label", "env_id", "id_score", "id_ci_low", "id_ci_high", "id_n", "ood_level",
               "ood_score", "ood_n", "drop_pct"]
    frame = pd.DataFrame(out, columns=columns)
    frame["drop_shown"] = frame["drop_pct"].notna() & (frame["id_ci_low"] > 0)
    return _with_parts(frame)


def factor_ladder(rows: pd.DataFrame, reps: int = REPS, random_state: int = SEED) -> pd.DataFrame:
    """Mean normalised score with 95% CI along each factor's own ladder (`factor=<name>@<s>` rows), per
    agent_label x env_id x factor x s, plus each ladder's breaking point.

    Columns: agent_label, encoder, mode, env_id, factor, severity, n, failed, mean, ci_low, ci_high,
    breaking_point. The breaking point (`statistics.breaking_point_severity`: the lowest s whose score is
    below half the ID score) uses the agent's `id` rows when it has them, else the ladder's s = 0 point;
    nan without either, and None-like (inf) when the ladder never breaks.
    """
    level = rows["level"].astype(str)
    is_factor = level.str.startswith(FACTOR)
    on_ladder = is_factor & level.str.contains("@", regex=False)
    # `factor=<name>@1` is the factor at its hard setting, labelled `factor=<name>`: the ladder's top rung.
    laddered = {lv.partition("@")[0] for lv in level[on_ladder]}
    top = is_factor & level.isin(laddered)
    ladder = rows[on_ladder | top].copy()
    ladder["level"] = [lv if "@" in lv else f"{lv}@1" for lv in ladder["level"].astype(str)]
    columns = ["agent_label", "encoder", "mode", "env_id", "factor", "severity", *_STAT_COLUMNS, "breaking_point"]
    if ladder.empty:
        return pd.DataFrame(columns=columns)
    name_at = ladder["level"].astype(str).str[len(FACTOR):].str.partition("@")
    ladder["factor"], ladder["severity"] = name_at[0], name_at[2].astype(float)
    frame = _level_stats(ladder, ["agent_label", "env_id", "factor", "severity"], reps, random_state)
    frame = frame.drop(columns="level")
    ids = level_stats(rows[level == "id"], "checkpoint_sha256", by=["agent_label", "env_id"], reps=reps,
                      random_state=random_state).set_index(["agent_label", "env_id"])["score"]
    breaks = {}
    for (agent, env, factor), line in frame[frame["n"] > 0].groupby(["agent_label", "env_id", "factor"]):
        id_score = ids.get((agent, env), math.nan)
        if math.isnan(id_score) and (line["severity"] == 0).any():
            id_score = float(line.loc[line["severity"] == 0, "mean"].iloc[0])
        point = (math.nan if math.isnan(id_score) else
                 breaking_point_severity(line["severity"].to_numpy(float), line["mean"].to_numpy(float), id_score))
        breaks[(agent, env, factor)] = math.inf if point is None else point
    frame["breaking_point"] = [breaks.get(k, math.nan) for k in
                               zip(frame["agent_label"], frame["env_id"], frame["factor"], strict=True)]
    frame = _sort(frame, ["env_id", "factor", "agent_label", "severity"],
                  {"agent_label": agent_order(frame["agent_label"])})
    return _with_parts(frame.reset_index(drop=True))[columns]
