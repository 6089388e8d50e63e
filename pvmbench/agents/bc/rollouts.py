"""Periodic rollouts of the policy being trained: the held-out loss says how well it imitates, these say
whether imitating that well is enough to do the task.

Episodes run at the env's training level, from their own seed stream ("bc-rollout-<level>"): the harness
draws evaluation episodes from the "id" stream and demonstrations from "demo-<level>", so a rollout never
replays an episode that trained or will score the policy. Each round uses the same episodes, so rounds
compare. The env is built once and kept, and the policy acts through the same code as the `bc` agent.
"""

from __future__ import annotations

import numpy as np
import torch

from pvmbench.seeding import episode_seed


def rollout_seeds(run_seed: int, level: str, episodes: int) -> list[int]:
    return [episode_seed(run_seed, f"bc-rollout-{level}", i) for i in range(episodes)]


class Rollouts:
    def __init__(self, env_id: str, level: str, image_size: int, episodes: int, seed: int,
                 bounds: tuple[float, float], use_state: bool):
        import gymnasium as gym

        import pvmbench.envs  # noqa: F401

        self.env = gym.make(env_id, shift=level, image_size=image_size)
        self.seeds = rollout_seeds(seed, level, episodes)
        self.bounds, self.use_state = bounds, use_state

    def __call__(self, policy, device: torch.device) -> dict:
        """Mean return, normalised score, success rate and (where the env reports grasps) grasp rate."""
        was_training = policy.training
        policy.eval()
        returns, successes, grasps = [], [], []
        for seed in self.seeds:
            obs, info = self.env.reset(seed=seed)
            total, done, grasped = 0.0, False, False
            while not done:
                batch = {k: v[None] for k, v in obs.items() if k == "image" or (k == "state" and self.use_state)}
                obs, reward, terminated, truncated, info = self.env.step(policy.act(batch, device)[0])
                total, done = total + float(reward), terminated or truncated
                grasped = grasped or bool(info.get("is_grasped", False))
            returns.append(total)
            successes.append(bool(info.get("is_success", False)))
            grasps.append(grasped if "is_grasped" in info else None)
        policy.train(was_training)
        low, high = self.bounds
        out = {"episodes": len(returns), "mean_return": float(np.mean(returns)),
               "score": float((np.mean(returns) - low) / (high - low)), "success": float(np.mean(successes))}
        if all(g is not None for g in grasps):
            out["grasp"] = float(np.mean(grasps))
        return out

    def close(self) -> None:
        self.env.close()
