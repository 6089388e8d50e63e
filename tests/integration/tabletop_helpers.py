"""Small shared builders for the table-top tests."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

import pvmbench.envs  # noqa: F401

ENV_ID = "pvmbench/TableTopPick-v0"


def make(**kwargs) -> gym.Env:
    kwargs.setdefault("image_size", 64)
    return gym.make(ENV_ID, **kwargs)


def first_frames(shift: str, seeds, size: int = 64) -> np.ndarray:
    env = make(shift=shift, image_size=size)
    try:
        return np.stack([env.reset(seed=s)[0]["image"] for s in seeds])
    finally:
        env.close()
