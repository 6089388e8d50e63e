"""Score per level: the one aggregator behind the eval summary, the leaderboard, the figures and the drops.

The rule for unusable episodes, the same in every report:

- an episode with status ``"failed"`` is not scored; it is counted in ``failed``;
- an episode with any other status whose ``normalised_score`` is not finite (NaN or inf) is not scored
  either, and is also counted in ``failed``. It cannot enter a mean or a bootstrap, and raising would let
  one bad episode block a whole report; counting it keeps it visible. So ``n + failed`` is always the
  number of episodes at that level.

Per group (the ``by`` columns) and level: ``n`` scored episodes, ``failed``, the mean return, the mean
normalised score with its 95% stratified bootstrap percentile CI, the IQM and the success rate, from
`pvmbench.benchmark.statistics.summarise`. ``strata`` names the column whose values are resampled
separately (``"run_id"``, ``"checkpoint_sha256"``), or None for the ordinary bootstrap. The bootstrap
draws positions, so rows are used in the order given: a caller that wants numbers independent of the
order its rows came in sorts them first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from pvmbench.benchmark.statistics import summarise
from pvmbench.shifts.spec import LEVELS

STAT_COLUMNS = ("n", "failed", "mean_return", "score", "score_ci_low", "score_ci_high", "iqm", "success_rate")


def scored_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that count towards a score: status not ``"failed"`` and a finite normalised_score."""
    finite = np.isfinite(rows["normalised_score"].to_numpy(float))
    return rows[(rows["status"] != "failed").to_numpy() & finite]


def level_order(levels: Iterable[str]) -> list[str]:
    """The distinct levels given: id, easy, hard first, then any other level alphabetically."""
    present = set(levels)
    return [lv for lv in LEVELS if lv in present] + sorted(present - set(LEVELS))


def level_stats(rows: pd.DataFrame, strata: str | None = None, *, by: Sequence[str] = (),
                levels: Sequence[str] | None = None, reps: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """One row per group of ``by`` and level; columns: the ``by`` columns, ``level``, then STAT_COLUMNS.

    Groups are sorted by their ``by`` values. ``levels`` lists the levels to report, in that order, each
    one for every group even without episodes (n 0, statistics NaN); rows at other levels are ignored.
    ``levels=None`` reports the levels each group has, in `level_order`. Every (group, level) is
    bootstrapped from the same int ``random_state``, so its numbers do not depend on the other groups.
    """
    by = list(by)
    groups = rows.groupby(by, sort=True) if by else [((), rows)]
    records = []
    for key, group in groups:
        for level in level_order(group["level"]) if levels is None else levels:
            stats = _stats(group[group["level"] == level], strata, reps, random_state)
            records.append({**dict(zip(by, key, strict=True)), "level": level, **stats})
    return pd.DataFrame(records, columns=[*by, "level", *STAT_COLUMNS])


def _stats(at_level: pd.DataFrame, strata: str | None, reps: int, random_state: int) -> dict:
    scored = scored_rows(at_level)
    record = dict.fromkeys(STAT_COLUMNS, math.nan) | {"n": len(scored), "failed": len(at_level) - len(scored)}
    if len(scored):
        # Strata as strings, so that a missing label is one more stratum rather than an unsortable None.
        labels = None if strata is None else scored[strata].to_numpy(str)
        stats = summarise(scored["normalised_score"].to_numpy(float), strata=labels, reps=reps,
                          random_state=random_state)
        record.update(score=stats["mean"], score_ci_low=stats["mean_ci_low"], score_ci_high=stats["mean_ci_high"],
                      iqm=stats["iqm"], mean_return=_mean(scored, "return"), success_rate=_mean(scored, "success"))
    return record


def _mean(frame: pd.DataFrame, column: str) -> float:
    # Hand-built rows (tests, the drops table's inputs) may carry only the score columns.
    return float(frame[column].mean()) if column in frame.columns else math.nan
