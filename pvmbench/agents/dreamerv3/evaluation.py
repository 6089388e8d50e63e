"""Evaluation episodes during training: the deterministic actor at the `id` level, normalised scores.

Episode i is seeded episode_seed(run seed, "id", i), the seed `pvmbench eval --shift id --seed S` gives
its episode i, so the learning curve's last point and a later `pvmbench eval` see the same scenarios.
The score is the study's (R - R_random) / (R_max - R_random) with the env's score_bounds; the 95% CI is
a percentile bootstrap over episodes.
"""

from __future__ import annotations

import collections

import gymnasium as gym
import numpy as np
import torch

from pvmbench.agents.dreamerv3.vector_envs import AGENT_KEYS
from pvmbench.seeding import episode_seed

EVAL_LEVEL = "id"


def bootstrap_ci(scores: np.ndarray, reps: int = 2000, seed: int = 0) -> tuple[float, float]:
    scores = np.asarray(scores, float)
    if len(scores) < 2:
        return float(scores.mean()), float(scores.mean())
    means = np.random.default_rng(seed).choice(scores, (reps, len(scores))).mean(1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


class Evaluator:
    """Keeps its envs between evaluations (building a MuJoCo scene and renderer is the slow part)."""

    def __init__(self, env_id: str, image_size: int, num_envs: int, seed: int, bounds: tuple[float, float]):
        import pvmbench.envs  # noqa: F401

        self.envs = [gym.make(env_id, shift=EVAL_LEVEL, image_size=image_size) for _ in range(num_envs)]
        self.seed, self.bounds = seed, bounds

    def close(self) -> None:
        for env in self.envs:
            env.close()

    @torch.no_grad()
    def run(self, model, episodes: int) -> dict:
        device = next(model.parameters()).device
        pending = collections.deque(range(episodes))
        k = min(len(self.envs), episodes)
        slot_episode: list[int | None] = [None] * k
        obs: list[dict | None] = [None] * k
        returns = np.zeros(episodes)
        carry = model.initial_carry(k)
        first = np.zeros(k, bool)

        def start(i: int) -> None:
            if pending:
                slot_episode[i] = pending.popleft()
                o, _ = self.envs[i].reset(seed=episode_seed(self.seed, EVAL_LEVEL, slot_episode[i]))
                obs[i], first[i] = o, True
            else:
                slot_episode[i] = None

        for i in range(k):
            start(i)
        while any(e is not None for e in slot_episode):
            live = next(o for o in obs if o is not None)
            batch = {key: torch.as_tensor(np.stack([(o if o is not None else live)[key] for o in obs]), device=device)
                     for key in AGENT_KEYS if key in live}
            action, carry = model.act(batch, carry, torch.as_tensor(first, device=device), deterministic=True)
            first[:] = False
            action = action.cpu().numpy()
            for i, episode in enumerate(slot_episode):
                if episode is None:
                    continue
                obs[i], reward, terminated, truncated, _ = self.envs[i].step(action[i])
                returns[episode] += reward
                if terminated or truncated:
                    start(i)
        low, high = self.bounds
        scores = (returns - low) / (high - low)
        ci = bootstrap_ci(scores)
        return {"episodes": episodes, "return_mean": float(returns.mean()), "score_mean": float(scores.mean()),
                "score_ci_low": ci[0], "score_ci_high": ci[1]}
