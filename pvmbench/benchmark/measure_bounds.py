"""Measures an env's score bounds: the mean `id` return of the uniform random policy (R_random) and, for
driving, of the scripted driver (R_max; the table-top's R_max is analytic, see envs/tabletop/reward.py).

    python -m pvmbench.benchmark.measure_bounds --env pvmbench/TableTopPick-v0 --episodes 200
    python -m pvmbench.benchmark.measure_bounds --env pvmbench/TableTopPick-v1 --episodes 200
    python -m pvmbench.benchmark.measure_bounds --env pvmbench/Highway-v0 --episodes 50
    python -m pvmbench.benchmark.measure_bounds --env pvmbench/Highway-v1 --episodes 50

Each env's procedure (seeds, action sampling) is the one its recorded bounds were measured with, so
these commands reproduce the numbers in env.py. It lives in the harness because it drives an agent.
"""

from __future__ import annotations

import argparse

import numpy as np

from pvmbench.envs import HIGHWAY_ID, HIGHWAY_V1_ID, TABLETOP_ID, TABLETOP_V1_ID


def tabletop_random_returns(episodes: int, shift: str = "id", seed: int = 0, env_id: str = TABLETOP_ID) -> np.ndarray:
    import gymnasium as gym

    env = gym.make(env_id, shift=shift, image_size=64).unwrapped
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


def highway_returns(policy: str, episodes: int, env_id: str = HIGHWAY_ID) -> np.ndarray:
    import gymnasium as gym

    from pvmbench.agents.scripted_driver import ScriptedDriver

    env = gym.make(env_id, image_size=64, privileged=True).unwrapped
    driver = ScriptedDriver({}, env.observation_space, env.action_space, 1)
    out = np.zeros(episodes)
    for ep in range(episodes):
        rng = np.random.default_rng([ep, 0x5EED])
        obs, _ = env.reset(seed=ep)
        done = False
        while not done:
            action = rng.uniform(-1, 1, 2) if policy == "random" else driver.act({k: v[None] for k, v in obs.items()})[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            out[ep] += reward
            done = terminated or truncated
    return out


def _report(what: str, returns: np.ndarray) -> None:
    sem = returns.std(ddof=1) / np.sqrt(len(returns))
    print(f"{what}: mean return {returns.mean():.3f} +- {sem:.3f} (s.e.m.) over {len(returns)} id episodes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=(TABLETOP_ID, TABLETOP_V1_ID, HIGHWAY_ID, HIGHWAY_V1_ID), default=TABLETOP_ID)
    parser.add_argument("--episodes", type=int, default=None, help="default: 200 table-top, 50 driving")
    args = parser.parse_args()
    if args.env in (TABLETOP_ID, TABLETOP_V1_ID):
        _report("random (R_random)", tabletop_random_returns(args.episodes or 200, env_id=args.env))
    else:
        for policy, what in (("random", "random (R_random)"), ("scripted", "scripted-driver (R_max)")):
            _report(what, highway_returns(policy, args.episodes or 50, args.env))


if __name__ == "__main__":
    main()
