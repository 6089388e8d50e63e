"""A table-top env that fails on purpose, for the harness's failure-handling tests.

Made as `tests.integration.faulty_env:Faulty-v0`, so spawned env hosts import and register it.
Which episodes fail depends on the episode seed; a marker file in `fault_dir` makes a fault
happen on the first attempt only, so a retry on a fresh env can succeed.
"""

from __future__ import annotations

import pathlib
import time

import gymnasium as gym

from pvmbench.envs.tabletop.env import TableTopPickEnv

RAISE_ONCE, NAN_ALWAYS, HANG_ONCE = 1, 2, 3


def fault_of(seed: int) -> int:
    return seed % 7


class FaultyEnv(TableTopPickEnv):
    def __init__(self, fault_dir: str, **kwargs):
        super().__init__(**kwargs)
        self.fault_dir = pathlib.Path(fault_dir)
        self._fault = 0

    def reset(self, *, seed=None, options=None):
        self._fault = fault_of(seed) if seed is not None else 0
        return super().reset(seed=seed, options=options)

    def _first_time(self) -> bool:
        marker = self.fault_dir / f"{self._scenario['seed']}-{self._fault}"
        if marker.exists():
            return False
        marker.touch()
        return True

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        if self._steps == 3:
            if self._fault == RAISE_ONCE and self._first_time():
                raise RuntimeError("injected failure")
            if self._fault == NAN_ALWAYS:
                reward = float("nan")
            if self._fault == HANG_ONCE and self._first_time():
                time.sleep(600)
        return obs, reward, terminated, truncated, info


if "Faulty-v0" not in gym.registry:
    gym.register("Faulty-v0", entry_point=FaultyEnv, max_episode_steps=50, disable_env_checker=True)

