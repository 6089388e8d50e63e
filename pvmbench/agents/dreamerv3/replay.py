"""Uniform sequence replay: one ring buffer per env slot, saved next to the checkpoint so `--resume` goes on.

Each row is one observation as the agent received it, with what the world model learns from it:
  image, [state], prev_action (the action that led here; 0 at an episode's first step), reward (received
  on arriving here), is_first, is_last, is_terminal.
Rows of one slot are consecutive in time, so any window of `length` rows is a training sequence; windows
may run across episode boundaries, where is_first resets the RSSM. Arrays are allocated with np.zeros,
whose pages the OS commits only when written, so a large capacity costs memory only as it fills.

On disk (`<checkpoint>.replay/`): one .npy per field holding each ring's rows in time order (a slot with
fewer rows than the fullest is padded with zeros at the end), and meta.json with the row counts. A save writes a new folder and then swaps it in, so a kill mid-save leaves the old one.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import numpy as np

from pvmbench.errors import UserError

FLAGS = ("is_first", "is_last", "is_terminal")


class Replay:
    def __init__(self, num_envs: int, capacity: int, image_shape: tuple[int, ...], action_dim: int,
                 state_dim: int = 0):
        self.num_envs = num_envs
        self.slot_capacity = max(1, capacity // num_envs)
        c = (num_envs, self.slot_capacity)
        self.fields: dict[str, np.ndarray] = {
            "image": np.zeros((*c, *image_shape), np.uint8),
            "prev_action": np.zeros((*c, action_dim), np.float32),
            "reward": np.zeros(c, np.float32),
            **{flag: np.zeros(c, bool) for flag in FLAGS},
        }
        if state_dim:
            self.fields["state"] = np.zeros((*c, state_dim), np.float32)
        self.count = np.zeros(num_envs, np.int64)  # rows written per slot, ever
        self.layout = {k: [list(v.shape[2:]), str(v.dtype)] for k, v in self.fields.items()}

    def __len__(self) -> int:
        return int(np.minimum(self.count, self.slot_capacity).sum())

    def add(self, rows: dict[str, np.ndarray], slots: np.ndarray) -> None:
        """One row for each slot in `slots`; rows[k] has a leading dimension of len(slots)."""
        slots = np.asarray(slots)
        where = self.count[slots] % self.slot_capacity
        for key, array in self.fields.items():
            array[slots, where] = rows[key]
        self.count[slots] += 1

    def _windows(self, length: int) -> np.ndarray:
        return np.maximum(np.minimum(self.count, self.slot_capacity) - length + 1, 0)

    def can_sample(self, length: int) -> bool:
        return bool(self._windows(length).sum() > 0)

    def sample(self, batch: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """`batch` windows of `length` consecutive rows, uniform over every window in the buffer."""
        windows = self._windows(length)
        picks = rng.integers(0, windows.sum(), batch)
        slot = np.searchsorted(np.cumsum(windows), picks, side="right")
        offset = picks - np.concatenate([[0], np.cumsum(windows)[:-1]])[slot]
        # The oldest row of a full ring sits at the write position.
        oldest = np.where(self.count[slot] > self.slot_capacity, self.count[slot] % self.slot_capacity, 0)
        rows = (oldest + offset)[:, None] + np.arange(length)[None]
        rows %= self.slot_capacity
        return {k: v[slot[:, None], rows] for k, v in self.fields.items()}

    # -- persistence ------------------------------------------------------------------------------------
    def save(self, folder: pathlib.Path, env_steps: int) -> None:
        folder = pathlib.Path(folder)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        kept = np.minimum(self.count, self.slot_capacity)
        filled = int(kept.max(initial=0))
        for key, array in self.fields.items():
            # Written slot by slot through a memory map: no copy of the whole buffer is ever held.
            out = np.lib.format.open_memmap(tmp / f"{key}.npy", "w+", array.dtype, (self.num_envs, filled,
                                                                                     *array.shape[2:]))
            for slot in range(self.num_envs):
                oldest = int(self.count[slot] % self.slot_capacity) if self.count[slot] > self.slot_capacity else 0
                n = int(kept[slot])
                head = min(n, self.slot_capacity - oldest)
                out[slot, :head] = array[slot, oldest:oldest + head]
                out[slot, head:n] = array[slot, :n - head]
            out.flush()
            del out
        meta = {"num_envs": self.num_envs, "slot_capacity": self.slot_capacity, "count": self.count.tolist(),
                "layout": self.layout, "env_steps": env_steps}
        (tmp / "meta.json").write_text(json.dumps(meta))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)

    def load(self, folder: pathlib.Path) -> int:
        """Fill this (empty) buffer from a saved one; returns the env step count it was saved at."""
        folder = pathlib.Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            raise UserError(f"{folder}: no readable replay to resume from ({exc.__class__.__name__})") from None
        if meta["num_envs"] != self.num_envs or meta["layout"] != self.layout:
            raise UserError(f"{folder}: replay was written with {meta['num_envs']} envs and fields {meta['layout']}; "
                            f"this run has {self.num_envs} and {self.layout}: resume with the same options")
        count = np.asarray(meta["count"], np.int64)
        keep = np.minimum(count, self.slot_capacity)
        for key, array in self.fields.items():
            saved = np.load(folder / f"{key}.npy", mmap_mode="r")
            for slot in range(self.num_envs):
                # The newest `keep` rows, written from position 0: the ring restarts in time order.
                n = int(keep[slot])
                stored = min(int(np.minimum(count[slot], meta["slot_capacity"])), saved.shape[1])
                array[slot, :n] = saved[slot, stored - n:stored]
        self.count = keep.copy()
        return int(meta["env_steps"])
