"""Loading result rows for reports: files or directories of `pvmbench eval` Parquet output.

Everything downstream (tables, regression checks, figures) starts here, so bad input is caught
once, in one line naming the file: an empty directory, a corrupt or truncated file, a file
that is not pvmbench results.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable

import pandas as pd
import pyarrow.parquet as pq

from pvmbench.benchmark.results import COLUMNS
from pvmbench.errors import UserError

ENTRY_KEYS = ("agent_label", "env_id", "suite", "suite_hash")  # one leaderboard row per entry


def result_files(paths: Iterable[str | pathlib.Path]) -> list[pathlib.Path]:
    files: list[pathlib.Path] = []
    for raw in paths:
        path = pathlib.Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.parquet") if ".parts" not in p.parent.name)
            if not found:
                raise UserError(f"{path}: no result files (*.parquet) in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"{path}: no such file or directory")
    if not files:
        raise UserError("no results given; pass result files or directories")
    return files


def read_results(path: pathlib.Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for truncated or foreign files
        raise UserError(f"{path}: not a readable Parquet file ({type(exc).__name__}); corrupt or truncated?") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise UserError(f"{path}: not pvmbench results: missing columns {', '.join(missing[:4])}")
    frame = table.to_pandas()
    return frame.assign(source_file=str(path))


def load_results(paths: Iterable[str | pathlib.Path]) -> pd.DataFrame:
    files = result_files(paths)
    rows = pd.concat([read_results(p) for p in files], ignore_index=True)
    if rows.empty:
        raise UserError(f"{files[0] if len(files) == 1 else ', '.join(map(str, files))}: no result rows")
    return rows


def check_single_suite_version(rows: pd.DataFrame) -> None:
    """Refuse rows of one env from different suite versions: their scores are not comparable."""
    for env_id, group in rows.groupby("env_id"):
        versions = group.groupby(["suite", "suite_hash"])["source_file"].first()
        if len(versions) > 1:
            described = "; ".join(f"{suite}@{h} ({f})" for (suite, h), f in versions.items())
            raise UserError(f"{env_id}: rows from different suite versions cannot share a table: {described}; "
                            "report them separately")
