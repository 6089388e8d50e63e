"""The replay buffer: windows are consecutive rows of one env slot, a full ring forgets its oldest rows,
and a saved buffer loads back with the same rows and sequences, so `--resume` continues from it."""

from __future__ import annotations

import numpy as np
import pytest

from pvmbench.agents.dreamerv3.replay import Replay
from pvmbench.errors import UserError


def _fill(replay: Replay, steps: int, slots=(0, 1)) -> None:
    for t in range(steps):
        n = len(slots)
        # The reward is 100 * slot + time step: every row says where it came from.
        replay.add({"image": np.full((n, 2, 2, 3), t % 256, np.uint8),
                    "prev_action": np.full((n, 1), t, np.float32),
                    "reward": np.array([100 * s + t for s in slots], np.float32),
                    "is_first": np.full(n, t == 0), "is_last": np.zeros(n, bool), "is_terminal": np.zeros(n, bool)},
                   np.array(slots))


def test_windows_are_consecutive_rows_of_one_slot():
    replay = Replay(2, 40, (2, 2, 3), 1)
    _fill(replay, 12)
    assert not replay.can_sample(13) and replay.can_sample(12)
    batch = replay.sample(64, 5, np.random.default_rng(0))
    assert batch["image"].shape == (64, 5, 2, 2, 3) and batch["reward"].shape == (64, 5)
    assert np.all(np.diff(batch["reward"], axis=1) == 1)
    starts = batch["reward"][:, 0]
    assert set(np.unique(starts // 100)) == {0, 1} and (starts % 100).max() <= 12 - 5


def test_a_full_ring_keeps_the_newest_rows():
    replay = Replay(2, 20, (2, 2, 3), 1)  # 10 rows per slot
    _fill(replay, 25)
    assert len(replay) == 20
    batch = replay.sample(200, 10, np.random.default_rng(1))  # only one window per slot: rows 15..24
    assert np.all(batch["reward"] % 100 == np.arange(15, 25))


def test_save_and_load_round_trip(tmp_path):
    replay = Replay(2, 20, (2, 2, 3), 1)
    _fill(replay, 25)
    _fill(replay, 3, slots=(1,))  # slots of different lengths
    replay.save(tmp_path / "r.replay", env_steps=53)
    loaded = Replay(2, 20, (2, 2, 3), 1)
    assert loaded.load(tmp_path / "r.replay") == 53
    a, b = replay.sample(50, 10, np.random.default_rng(2)), loaded.sample(50, 10, np.random.default_rng(2))
    assert sorted(map(tuple, a["reward"])) == sorted(map(tuple, b["reward"]))
    assert len(loaded) == len(replay)
    with pytest.raises(UserError, match="resume with the same options"):
        Replay(3, 20, (2, 2, 3), 1).load(tmp_path / "r.replay")
