"""`pvmbench train --algo blind`: evaluate every constant action of the env's grid, keep the best.

Candidates are scored by mean return over the same episodes (common seeds, so differences are between
actions, not scenarios), at the `id` level, on the seed stream "blind-search": disjoint from the
`id` stream every evaluation level draws from, so the choice is not fitted to the rows it is judged on. Ties keep the earlier candidate in grid order.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
from tqdm import tqdm

from pvmbench.agents.checkpoint import save_checkpoint
from pvmbench.errors import UserError
from pvmbench.seeding import episode_seed

SEARCH_STREAM = "blind-search"
SEARCH_LEVEL = "id"


@dataclasses.dataclass
class BlindConfig:
    env: str
    episodes: int = 3  # per candidate
    seed: int = 0
    image_size: int = 64  # the agent never looks; small frames only make the search fast


def search_seeds(cfg: BlindConfig) -> list[int]:
    return [episode_seed(cfg.seed, SEARCH_STREAM, i) for i in range(cfg.episodes)]


def candidate_returns(env, action: np.ndarray, seeds: list[int]) -> list[float]:
    returns = []
    for seed in seeds:
        env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return returns


def search_blind(cfg: BlindConfig, out: pathlib.Path, progress: bool = True) -> dict:
    import gymnasium as gym

    from pvmbench.envs.contract import env_contract

    if cfg.episodes < 1:
        raise UserError(f"--episodes {cfg.episodes}: accepted: an integer >= 1")
    contract = env_contract(cfg.env, {"image_size": cfg.image_size})
    grid = np.asarray(getattr(contract.env_class, "blind_grid", ()), dtype=np.float32)
    if grid.ndim != 2 or grid.shape[1:] != contract.action_space.shape:
        raise UserError(f"env {cfg.env} declares no blind_grid of {contract.action_space.shape} actions "
                        "(the env contract's constant actions for the blind baseline)")
    seeds = search_seeds(cfg)
    env = gym.make(cfg.env, shift=SEARCH_LEVEL, image_size=cfg.image_size)
    table = []
    try:
        for action in tqdm(grid, desc="blind search", unit="action", disable=not progress, dynamic_ncols=True):
            table.append(candidate_returns(env, action, seeds))
    finally:
        env.close()
    means = np.mean(table, axis=1)
    best = int(np.argmax(means))
    low, high = contract.score_bounds
    save_checkpoint(
        out, agent="blind", env=cfg.env,
        config={"action": [float(a) for a in grid[best]], "env_kwargs": {"image_size": cfg.image_size}},
        state_dict={},
        meta={"label": "blind", "algo": "blind", "search_level": SEARCH_LEVEL, "search_stream": SEARCH_STREAM,
              "seed": cfg.seed, "episodes_per_candidate": cfg.episodes, "candidates": len(grid),
              "grid": [[float(a) for a in row] for row in grid], "mean_returns": [float(m) for m in means],
              "best_mean_return": float(means[best]),
              "best_normalised": float((means[best] - low) / (high - low))},
    )
    return {"action": grid[best].tolist(), "mean_return": float(means[best]),
            "normalised": float((means[best] - low) / (high - low)), "candidates": len(grid), "out": str(out)}
