"""One episode in which the expert labels every state and something else may choose what is executed.

Both ways the BC trainer gets data run this loop: DART demos (demos.py: the label plus seeded noise is
executed) and DAgger rounds (dagger.py: the clone's own action is executed). The label is always the
expert's clean action in the state actually reached, so the two differ only in which states they visit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FRAME_KEYS = ("images", "state", "actions", "executed", "grasped", "at_goal")


def labelled_episode(env, expert, obs: dict, info: dict, execute: Callable[[np.ndarray, dict], np.ndarray],
                     max_steps: int | None = None) -> tuple[dict[str, list], float, bool]:
    """From (obs, info) just after reset, run the episode to its end (or `max_steps`). `execute(label,
    batched_obs)` returns the action taken. Returns the frames (images; state where the env has one; actions,
    the expert's labels; executed; grasped; at_goal), the return and whether the episode succeeded."""
    expert.reset(np.array([True]))
    frames: dict[str, list] = {k: [] for k in FRAME_KEYS}
    done, steps, total = False, 0, 0.0
    while not done and (max_steps is None or steps < max_steps):
        batched = {k: v[None] for k, v in obs.items()}
        label = expert.act(batched)[0].astype(np.float32)
        action = execute(label, batched)
        frames["images"].append(obs["image"])
        if "state" in obs:
            frames["state"].append(obs["state"])
        frames["actions"].append(label)
        frames["executed"].append(action)
        frames["grasped"].append(bool(info.get("is_grasped", False)))
        frames["at_goal"].append(bool(info.get("is_success", False)))
        obs, reward, terminated, truncated, info = env.step(action)
        done, steps, total = terminated or truncated, steps + 1, total + float(reward)
    return frames, total, bool(info.get("is_success", False))
