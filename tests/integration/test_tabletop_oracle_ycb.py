"""The v1 oracle picks real YCB objects: the pickable samples of tests/fixtures/ycb at `id`, on fixed seeds."""

from __future__ import annotations

import pathlib
import warnings

import gymnasium as gym
import numpy as np
import pytest

import pvmbench.envs  # noqa: F401
from pvmbench.agents.scripted import ScriptedTableTopAgent
from pvmbench.envs import TABLETOP_V1_ID
from pvmbench.envs.tabletop.ycb import YCB_DIR_ENV

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "ycb"
SEEDS = range(20)


@pytest.fixture
def ycb_env(monkeypatch):
    monkeypatch.setenv(YCB_DIR_ENV, str(FIXTURE))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tabletop-v2 lists 49 objects; the fixture has three
        env = gym.make(TABLETOP_V1_ID, shift="id", objects="ycb", image_size=64, privileged=True)
    yield env
    env.close()


def test_oracle_picks_the_pickable_samples_at_least_90_percent(ycb_env):
    agent = ScriptedTableTopAgent({}, ycb_env.observation_space, ycb_env.action_space, num_envs=1)
    outcomes: dict[str, list[bool]] = {}
    for seed in SEEDS:
        obs, info = ycb_env.reset(seed=seed)
        agent.reset(np.array([True]))
        truncated = False
        while not truncated:
            obs, _, _, truncated, step_info = ycb_env.step(agent.act({k: v[None] for k, v in obs.items()})[0])
        outcomes.setdefault(info["scenario"]["objects"]["target"], []).append(step_info["is_success"])
    # The drill is not pickable (its hull is 14 cm across): tabletop-v2 leaves it out of its splits.
    assert sorted(outcomes) == ["003_cracker_box", "006_mustard_bottle"]
    for name, wins in outcomes.items():
        assert np.mean(wins) >= 0.9, f"{name}: {sum(wins)}/{len(wins)}"
