"""Measures the table-top score bounds: R_random from the uniform random policy at ID.

    python -m pvmbench.envs.tabletop.measure_bounds --episodes 200

R_max is analytic (see reward.py); R_random is this script's mean return, which env.py records.
"""

from __future__ import annotations

import argparse

import numpy as np

from pvmbench.envs.tabletop.env import TableTopPickEnv


def random_returns(episodes: int, shift: str = "id", seed: int = 0) -> np.ndarray:
    env = TableTopPickEnv(shift=shift, image_size=64)
    env.action_space.seed(seed)
    returns = np.zeros(episodes)
    for ep in range(episodes):
        env.reset(seed=ep)
        done = False
        while not done:
            _, r, term, trunc, _ = env.step(env.action_space.sample())
            returns[ep] += r
            done = term or trunc
    env.close()
    return returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--shift", default="id")
    args = parser.parse_args()
    returns = random_returns(args.episodes, args.shift)
    sem = returns.std(ddof=1) / np.sqrt(len(returns))
    print(f"R_random over {len(returns)} {args.shift} episodes: mean {returns.mean():.3f} +- {sem:.3f} (s.e.m.)")


if __name__ == "__main__":
    main()
