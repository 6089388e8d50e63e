"""`pvmbench regress`: check new results against a published baseline, print verdicts, set the exit code.

The exit code is what CI acts on: 1 when any baseline entry regressed, changed scenario or is
missing. `--update` makes the new results the baseline (after a deliberate change) and exits 0.
"""

from __future__ import annotations

import math
import pathlib
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pvmbench.benchmark.results import COLUMNS, SCHEMA, atomic_write
from pvmbench.errors import UserError
from pvmbench.leaderboard.regression import KEY, compare, exit_code
from pvmbench.leaderboard.rows import load_results, read_results, result_files

_STYLE = {"pass": "green", "improved": "cyan", "regressed": "bold red", "scenario changed": "bold yellow",
          "missing": "bold red"}


def _fmt(value, spec: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def _probability(r: dict) -> str:
    if _fmt(r["p_improvement"], "") == "-":
        return "-"
    return f"{r['p_improvement']:.2f} [{r['p_improvement_ci_low']:.2f}, {r['p_improvement_ci_high']:.2f}]"


def render(table: pd.DataFrame, title: str) -> None:
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    rich_table = Table(title=title, title_justify="left")
    for name, justify in [("agent", "left"), ("env", "left"), ("level", "left"), ("baseline", "right"),
                          ("new", "right"), ("diff", "right"), ("diff 95% CI", "right"), ("p (new < base)", "right"),
                          ("P(new > base) [95% CI]", "right"),
                          ("n base/new", "right"), ("verdict", "left"), ("reason", "left")]:
        rich_table.add_column(name, justify=justify)
    for r in table.to_dict("records"):
        ci = "-" if _fmt(r["diff_ci_low"], "") == "-" else f"[{r['diff_ci_low']:+.3f}, {r['diff_ci_high']:+.3f}]"
        failed = f" ({r['failed_base']}/{r['failed_new']} failed)" if r["failed_base"] or r["failed_new"] else ""
        cells = [r["agent_label"], r["env_id"], r["level"], _fmt(r["baseline"], ".3f"), _fmt(r["new"], ".3f"),
                 _fmt(r["diff"], "+.3f"), ci, _fmt(r["p_value"], ".4f"), _probability(r), f"{r['n_base']}/{r['n_new']}{failed}"]
        # Text cells, not markup strings: a label such as "vit[small]" must print as written.
        rich_table.add_row(*map(Text, cells), Text(r["verdict"], style=_STYLE[r["verdict"]]), Text(r["reason"]))
    console = Console(highlight=False)
    if not console.is_terminal:
        # CI logs are not terminals: rich would wrap the reasons at 80 columns, so print full width.
        wide = Measurement.get(console, console.options.update_width(1000), rich_table).maximum
        console = Console(highlight=False, width=max(80, wide))
    console.print(rich_table)


def _keys(rows: pd.DataFrame) -> set[tuple]:
    return set(rows[KEY].itertuples(index=False, name=None))


def update_baseline(baseline_dir: pathlib.Path, result_paths: list[pathlib.Path]) -> list[str]:
    """Copy the result files (and their manifests) into the baseline directory; return what was done.

    Baseline rows for the (agent_label, env_id, level) keys the new files cover are replaced: a
    baseline file holding only such keys is removed, one that also holds others is rewritten without
    them, so no key is ever scored from old and new rows at once. Every write is atomic.
    """
    new_keys: set[tuple] = set()
    for path in result_paths:
        new_keys |= _keys(read_results(path))
    try:
        old_files = result_files([baseline_dir])
    except UserError:  # an empty baseline directory: nothing to replace
        old_files = []
    old = {p: read_results(p) for p in old_files}
    covered = {p for p, rows in old.items() if _keys(rows) <= new_keys}
    partial = {p for p, rows in old.items() if p not in covered and _keys(rows) & new_keys}
    taken = {p.resolve() for p in old if p not in covered}
    done = []
    for src in result_paths:
        dest, i = baseline_dir / src.name, 1
        while dest.resolve() in taken:  # never overwrite a baseline file that keeps other entries
            dest, i = baseline_dir / f"{src.stem}-{i}{src.suffix}", i + 1
        taken.add(dest.resolve())
        if src.resolve() != dest.resolve():
            atomic_write(dest, lambda tmp, src=src: shutil.copyfile(src, tmp))
            manifest = src.with_name(src.stem + ".manifest.json")
            if manifest.is_file():
                atomic_write(dest.with_name(dest.stem + ".manifest.json"),
                              lambda tmp, m=manifest: shutil.copyfile(m, tmp))
        done.append(f"wrote {dest}")
    # Old rows go only after the new ones are in place: an interrupted update leaves duplicates, not gaps.
    for path in sorted(covered - {p for p in covered if p.resolve() in taken}):
        path.unlink()
        path.with_name(path.stem + ".manifest.json").unlink(missing_ok=True)
        done.append(f"removed {path}")
    for path in sorted(partial):
        rows = old[path]
        keep = rows[[k not in new_keys for k in rows[KEY].itertuples(index=False, name=None)]]
        table = pa.Table.from_pandas(keep[list(COLUMNS)], schema=SCHEMA, preserve_index=False)
        atomic_write(path, lambda tmp, t=table: pq.write_table(t, tmp))
        done.append(f"rewrote {path} without the replaced entries")
    return done


def regress(baseline: list[str], results: list[str], alpha: float = 0.05, min_effect: float = 0.05,
            update: bool = False, only_evaluated: bool = False) -> int:
    """Print the verdict table; return the exit code (0 with --update, which then replaces the baseline)."""
    if update and not (len(baseline) == 1 and pathlib.Path(baseline[0]).is_dir()):
        raise UserError(f"--update: --baseline {', '.join(baseline)}: accepted: a single directory "
                        "(the new result files are copied into it)")
    new_rows = load_results(results)
    new_files = sorted({pathlib.Path(f) for f in new_rows["source_file"]})
    try:
        base_rows = load_results(baseline)
        table = compare(base_rows, new_rows, alpha=alpha, min_effect=min_effect, only_evaluated=only_evaluated)
    except UserError as exc:
        # An empty baseline, or one with no entry in common, is what --update starts or extends.
        if not update:
            raise
        print(f"note: {exc}")
        table = None
    if table is not None:
        render(table, f"regression check against {', '.join(baseline)} "
                      f"(alpha={alpha:g}, min effect={min_effect:g}; diff = new - baseline, normalised score)")
        counts = table["verdict"].value_counts()
        print("verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    if update:
        for line in update_baseline(pathlib.Path(baseline[0]), new_files):
            print(line)
        return 0
    return exit_code(table)
