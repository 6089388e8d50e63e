"""Measures Highway-v0's score bounds: mean returns of the random policy and the scripted driver.

    python -m pvmbench.envs.driving.measure_bounds --episodes 50

Both run at the `id` level with seeds 0..N-1; env.py records the results as score_bounds.
"""

from __future__ import annotations

import argparse

import numpy as np

from pvmbench.agents.scripted_driver import ScriptedDriver
from pvmbench.envs.driving.env import HighwayEnv


def returns(policy: str, episodes: int) -> np.ndarray:
    env = HighwayEnv(image_size=64, privileged=True)
    driver = ScriptedDriver({}, env.observation_space, env.action_space, 1)
    out = np.zeros(episodes)
    for ep in range(episodes):
        rng = np.random.default_rng([ep, 0x5EED])
        obs, _ = env.reset(seed=ep)
        done = False
        while not done:
            if policy == "random":
                action = rng.uniform(-1, 1, 2)
            else:
                action = driver.act({k: v[None] for k, v in obs.items()})[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            out[ep] += reward
            done = terminated or truncated
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=50)
    args = parser.parse_args()
    for policy in ("random", "scripted"):
        r = returns(policy, args.episodes)
        sem = r.std(ddof=1) / np.sqrt(len(r))
        print(f"{policy}: mean return {r.mean():.2f} +- {sem:.2f} (s.e.m.) over {len(r)} id episodes")


if __name__ == "__main__":
    main()
