"""The `bc` agent: rebuilds encoder + head from a checkpoint and acts on batched observations.

A checkpoint trained with the robot state records `state_dim` in its config and carries the state
normaliser's mean and std in its state_dict; the agent then reads obs["state"] too. A checkpoint without
`state_dim` (every one published before it) is the image-only policy, rebuilt exactly as before.
"""

from __future__ import annotations

import numpy as np
import torch

from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.encoders import build_encoder, set_inference_dtype
from pvmbench.errors import UserError


class BCAgent:
    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        config = checkpoint["config"]
        self.device = torch.device(checkpoint.get("device", "cpu"))
        encoder = build_encoder(config["encoder"], config["mode"], **config.get("encoder_options", {}))
        expected = config.get("encoder_identity", {}).get("sha256")
        if config["mode"] == "frozen" and expected and encoder.identity().get("sha256") != expected:
            raise UserError(f"checkpoint's frozen {config['encoder']} weights have sha256 {expected[:12]}, but the "
                            f"installed ones have {encoder.identity().get('sha256', '?')[:12]}: install the same weights")
        state_dim = int(config.get("state_dim", 0))
        spaces = getattr(observation_space, "spaces", None)
        if state_dim and spaces is not None and "state" not in spaces:
            raise UserError(f"bc checkpoint was trained with a {state_dim}-d robot state, but this env's "
                            f"observations have no 'state' (they have: {', '.join(spaces)})")
        self.policy = BCPolicy(encoder, int(config["action_dim"]), int(config["hidden"]), state_dim,
                               config.get("neck", "none"))
        missing, unexpected = self.policy.load_state_dict(checkpoint["state_dict"], strict=False)
        # A frozen encoder is rebuilt from its installed weights, not the checkpoint; everything else must be there.
        needed = [k for k in missing if not k.startswith("encoder.") or config["mode"] != "frozen"]
        if needed or unexpected:
            problem = f"missing {needed[0]}" if needed else f"unexpected {unexpected[0]}"
            raise UserError(f"bc checkpoint state_dict does not fit {config['encoder']}/{config['mode']}: {problem}")
        set_inference_dtype(encoder, checkpoint.get("inference_dtype", "float32"))
        self.policy.to(self.device).eval()
        self.num_envs = num_envs

    def reset(self, done_mask: np.ndarray) -> None:
        pass  # a feed-forward policy has no memory

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return self.policy.act(obs, self.device)
