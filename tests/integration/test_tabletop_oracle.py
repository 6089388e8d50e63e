"""The scripted oracle solves the ID level; a random policy does not."""

from __future__ import annotations

import numpy as np

from pvmbench.agents.scripted import ScriptedTableTopAgent
from tests.integration.tabletop_helpers import make


def run_oracle(shift: str, episodes: int) -> tuple[float, float]:
    env = make(shift=shift, privileged=True)
    agent = ScriptedTableTopAgent({}, env.observation_space, env.action_space, num_envs=1)
    successes, returns = [], []
    for ep in range(episodes):
        obs, _ = env.reset(seed=ep)
        agent.reset(np.array([True]))
        total, done = 0.0, False
        while not done:
            action = agent.act({k: v[None] for k, v in obs.items()})[0]
            obs, reward, terminated, truncated, info = env.step(action)
            total += reward
            done = terminated or truncated
        successes.append(info["is_success"])
        returns.append(total)
    return float(np.mean(successes)), float(np.mean(returns))


def test_oracle_succeeds_at_least_90_percent_at_id():
    success, mean_return = run_oracle("id", 20)
    assert success >= 0.9
    assert mean_return > 150.0  # far above R_random (7.9), below R_max (202)
