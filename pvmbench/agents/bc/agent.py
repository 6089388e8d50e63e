"""The `bc` agent: rebuilds encoder + head from a checkpoint and acts on batched images."""

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
        self.policy = BCPolicy(encoder, int(config["action_dim"]), int(config["hidden"]))
        missing, unexpected = self.policy.load_state_dict(checkpoint["state_dict"], strict=False)
        needed = [k for k in missing if k.startswith("head.") or config["mode"] != "frozen"]
        if needed or unexpected:
            problem = f"missing {needed[0]}" if needed else f"unexpected {unexpected[0]}"
            raise UserError(f"bc checkpoint state_dict does not fit {config['encoder']}/{config['mode']}: {problem}")
        set_inference_dtype(encoder, checkpoint.get("inference_dtype", "float32"))
        self.policy.to(self.device).eval()
        self.num_envs = num_envs

    def reset(self, done_mask: np.ndarray) -> None:
        pass  # a feed-forward policy has no memory

    @torch.no_grad()
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        images = torch.as_tensor(np.ascontiguousarray(obs["image"]), device=self.device)
        return self.policy(images).cpu().numpy().astype(np.float32)
