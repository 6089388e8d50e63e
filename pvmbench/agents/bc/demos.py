"""Demonstrations from a scripted expert, cached on disk as compressed arrays.

The expert acts on privileged state; what is stored is what a visuomotor policy sees (the
image) and the expert's action. A cache file is keyed by env, level, episodes, seed and image
size, so retraining with other encoders reuses the same frames.
"""

from __future__ import annotations

import hashlib
import os
import pathlib

import numpy as np


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("PVMBENCH_CACHE", pathlib.Path.home() / ".cache" / "pvmbench")) / "demos"


def collect(env_id: str, episodes: int, seed: int, image_size: int, max_steps: int | None = None,
            progress: bool = True) -> dict:
    """{"images": uint8 (N, S, S, 3), "actions": float32 (N, A), "episode": int (N,)}, from cache if there."""
    from pvmbench.envs.contract import env_contract

    contract = env_contract(env_id)  # the env names its expert and training level
    level = contract.train_level
    key = hashlib.sha256(f"{env_id}|{level}|{episodes}|{seed}|{image_size}|{max_steps}".encode()).hexdigest()[:16]
    path = cache_dir() / f"{env_id.replace('/', '_')}-{level}-{key}.npz"
    if path.exists():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    # Imported here so that training from a cache builds no env and renders nothing (a GPU machine without GL).
    import gymnasium as gym
    from tqdm import tqdm

    import pvmbench.envs  # noqa: F401
    from pvmbench.agents.registry import get_agent_factory
    from pvmbench.seeding import episode_seed

    env = gym.make(env_id, shift=level, image_size=image_size, privileged=True)
    expert = get_agent_factory(contract.expert_agent)({}, env.observation_space, env.action_space, 1)
    images, actions, index = [], [], []
    for ep in tqdm(range(episodes), desc="demos", unit="ep", dynamic_ncols=True, disable=not progress):
        obs, _ = env.reset(seed=episode_seed(seed, f"demo-{level}", ep))
        expert.reset(np.array([True]))
        done, steps = False, 0
        while not done and (max_steps is None or steps < max_steps):
            action = expert.act({k: v[None] for k, v in obs.items()})[0]
            images.append(obs["image"])
            actions.append(action)
            index.append(ep)
            obs, _, terminated, truncated, _ = env.step(action)
            done, steps = terminated or truncated, steps + 1
    env.close()
    data = {"images": np.stack(images), "actions": np.stack(actions).astype(np.float32), "episode": np.array(index)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **data)
    os.replace(tmp, path)
    return data
