"""The blind baseline: a constant action from its checkpoint, and where an entry stands against it."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

from pvmbench.agents.blind.agent import BlindAgent
from pvmbench.errors import UserError
from pvmbench.leaderboard.table import _versus_blind

SPACE = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)


def test_acts_its_constant_action_for_every_slot_whatever_it_sees():
    agent = BlindAgent({"config": {"action": [0.0, 0.0, -1.0, 1.0]}}, None, SPACE, 3)
    first = agent.act({"image": np.zeros((3, 8, 8, 3), np.uint8)})
    second = agent.act({"image": np.full((3, 8, 8, 3), 255, np.uint8)})
    assert first.shape == (3, 4) and first.dtype == np.float32
    assert np.array_equal(first, second) and np.array_equal(first[2], [0, 0, -1, 1])


def test_without_a_chosen_action_or_with_another_envs_is_one_line():
    with pytest.raises(UserError, match="pvmbench train --algo blind"):
        BlindAgent({"config": {}}, None, SPACE, 1)
    with pytest.raises(UserError, match=r"shape \(2,\).*\(4,\)"):
        BlindAgent({"config": {"action": [0.0, 1.0]}}, None, SPACE, 1)


def _entry(label: str, score: float, low: float, high: float, env: str = "E") -> dict:
    return {"agent_label": label, "env_id": env, "suite": "s", "suite_hash": "h", "id_score": score,
            "id_ci_low": low, "id_ci_high": high}


def test_versus_blind_compares_the_id_ci_with_the_blind_score():
    table = pd.DataFrame([
        _entry("blind", 0.30, 0.25, 0.35),
        _entry("good", 0.60, 0.40, 0.80),      # CI above 0.30
        _entry("close", 0.32, 0.20, 0.45),     # CI contains 0.30
        _entry("poor", 0.10, 0.05, 0.30),      # CI at or below 0.30
        _entry("elsewhere", 0.90, 0.85, 0.95, env="F"),  # no blind entry in its env
        _entry("unscored", math.nan, math.nan, math.nan),
    ])
    assert _versus_blind(table) == ["-", "above", "not separated", "at or below", "-", "-"]
