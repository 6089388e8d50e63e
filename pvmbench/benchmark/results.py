"""The results store: one Parquet row per episode, appended in small atomic batches.

`<run>.parquet` is written at the end of a run. While it runs, rows go into numbered part files
in `<run>.parquet.parts/`, each written to a temporary name and renamed into place, so a run
killed at any instant leaves only whole batches. `--resume` reads the finished file and the
parts, skips those episodes, and consolidates everything into one file with no row lost or
duplicated. A JSON manifest sits beside the results.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pvmbench.errors import UserError

COLUMNS = {
    "run_id": pa.string(),
    "agent": pa.string(),
    "agent_label": pa.string(),
    "checkpoint_sha256": pa.string(),
    "env_id": pa.string(),
    "suite": pa.string(),
    "suite_hash": pa.string(),
    "level": pa.string(),
    "severity": pa.float64(),
    "episode_index": pa.int64(),
    "episode_seed": pa.int64(),
    "scenario": pa.string(),
    "return": pa.float64(),
    "normalised_score": pa.float64(),
    "success": pa.bool_(),
    "length": pa.int64(),
    "status": pa.string(),
    "error": pa.string(),
    "attempts": pa.int64(),
    "wall_s": pa.float64(),
    "pvmbench_version": pa.string(),
}
SCHEMA = pa.schema(list(COLUMNS.items()))


def atomic_write(path: pathlib.Path, write) -> None:
    """Calls write(tmp) on a temporary file beside path, syncs it, then renames it over path: a reader (or a
    resumed run after kill -9) sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: pathlib.Path, data: dict) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n"))


class ResultsStore:
    def __init__(self, out: pathlib.Path, batch_size: int = 8):
        if out.suffix != ".parquet":
            raise UserError(f"--out {out}: accepted: a path ending in .parquet")
        self.out = out
        self.parts = out.with_name(out.name + ".parts")
        self.manifest_path = out.with_name(out.stem + ".manifest.json")
        self.batch_size = batch_size
        self._buffer: list[dict] = []

    def existing(self) -> pd.DataFrame:
        """Every row already written for this run: the finished file plus any whole part files."""
        frames = []
        for path in ([self.out] if self.out.exists() else []) + sorted(self.parts.glob("part-*.parquet")):
            try:
                frames.append(pq.read_table(path).to_pandas())
            except Exception as exc:
                raise UserError(f"{path}: not a readable Parquet file ({exc}); move it aside to start over") from exc
        if not frames:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
        rows = pd.concat(frames, ignore_index=True)
        return rows.drop_duplicates(subset=["level", "episode_index"], keep="last")

    def append(self, row: dict) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        self.parts.mkdir(parents=True, exist_ok=True)
        number = 1 + max((int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")), default=0)
        table = pa.Table.from_pylist(self._buffer, schema=SCHEMA)
        atomic_write(self.parts / f"part-{number:06d}.parquet", lambda tmp: pq.write_table(table, tmp))
        self._buffer = []

    def consolidate(self, order: Iterable[tuple[str, int]]) -> pd.DataFrame:
        """Write all rows, in plan order, to the final file and remove the parts."""
        self.flush()
        rows = self.existing()
        rank = {key: i for i, key in enumerate(order)}
        rows = rows.assign(_order=[rank.get((lvl, int(idx)), len(rank)) for lvl, idx in zip(rows["level"], rows["episode_index"], strict=True)])
        rows = rows.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
        table = pa.Table.from_pandas(rows[list(COLUMNS)], schema=SCHEMA, preserve_index=False)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.out, lambda tmp: pq.write_table(table, tmp))
        for part in self.parts.glob("*"):
            part.unlink()
        if self.parts.exists():
            self.parts.rmdir()
        return rows
