"""K copies of a pvmbench env stepped together (Gymnasium vector envs), every episode reset with its own seed.

Autoreset is off: the trainer sees each episode's last observation, stores it, and then resets just the
finished slots. Slot i's n-th episode is seeded with episode_seed(run seed, "<stream>-<i>", n), so a run is
reproducible given its seed, and a resumed run carries on with the next seeds rather than repeating any.
More than one slot steps in spawned worker processes (each builds its own renderer); one slot steps here.
Only `image` and `state` are kept: `privileged` (simulator state) never reaches the agent.
"""

from __future__ import annotations

import functools

import gymnasium as gym
import numpy as np

from pvmbench.seeding import episode_seed

AGENT_KEYS = ("image", "state")


def _make(env_id: str, shift: str, image_size: int) -> gym.Env:
    import pvmbench.envs  # noqa: F401  (registers the pvmbench/ ids in a spawned worker)

    return gym.make(env_id, shift=shift, image_size=image_size)


class VectorEnvs:
    def __init__(self, env_id: str, shift: str, image_size: int, num_envs: int, seed: int, stream: str,
                 episodes: list[int] | None = None):
        fns = [functools.partial(_make, env_id, shift, image_size) for _ in range(num_envs)]
        mode = gym.vector.AutoresetMode.DISABLED
        self.envs = (gym.vector.SyncVectorEnv(fns, autoreset_mode=mode) if num_envs == 1 else
                     gym.vector.AsyncVectorEnv(fns, autoreset_mode=mode, context="spawn"))
        self.num_envs, self.seed, self.stream = num_envs, seed, stream
        self.episodes = list(episodes) if episodes is not None else [0] * num_envs  # episodes started per slot

    def _seeds(self, mask: np.ndarray) -> list[int | None]:
        seeds: list[int | None] = []
        for i, reset in enumerate(mask):
            seeds.append(episode_seed(self.seed, f"{self.stream}-{i}", self.episodes[i]) if reset else None)
            self.episodes[i] += int(reset)
        return seeds

    def reset(self, mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Reset the slots in mask (all if None); returns every slot's current observation."""
        if mask is None:
            mask = np.ones(self.num_envs, bool)
            obs, _ = self.envs.reset(seed=self._seeds(mask))
        else:
            obs, _ = self.envs.reset(seed=self._seeds(mask), options={"reset_mask": np.asarray(mask, bool)})
        return _agent_view(obs)

    def step(self, actions: np.ndarray):
        obs, reward, terminated, truncated, _ = self.envs.step(actions)
        return _agent_view(obs), reward.astype(np.float32), terminated.astype(bool), truncated.astype(bool)

    def close(self) -> None:
        self.envs.close()


def _agent_view(obs: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(obs[k]) for k in AGENT_KEYS if k in obs}
