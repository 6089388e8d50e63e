"""The `blind` agent: one constant action from its checkpoint, for every slot at every step."""

from __future__ import annotations

import numpy as np

from pvmbench.errors import UserError


class BlindAgent:
    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        action = checkpoint.get("config", {}).get("action")
        if action is None:
            raise UserError("the blind agent needs a checkpoint with its chosen action: make one with "
                            "`pvmbench train --algo blind --env <id> --out blind.pt`")
        self.action = np.asarray(action, dtype=np.float32)
        if action_space is not None and self.action.shape != action_space.shape:
            raise UserError(f"blind checkpoint action has shape {self.action.shape}; the env's action space "
                            f"is {action_space.shape}: was it made for another env?")
        self.num_envs = num_envs

    def reset(self, done_mask: np.ndarray) -> None:
        pass

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return np.tile(self.action, (len(next(iter(obs.values()))), 1))
