"""The `dreamerv3` agent for `pvmbench eval`: the actor on the RSSM posterior, batched over env slots.

Acting is deterministic: the posterior latent's mode and the action distribution's mode (its tanh mean),
so an episode's actions depend only on its observations, not on the batch or any random state. Each slot
keeps its own latent state and previous action; `reset(done_mask)` starts those slots from zero at the
next `act`, as the runner does when a slot begins a new episode.
"""

from __future__ import annotations

import numpy as np
import torch

from pvmbench.agents.dreamerv3.config import DreamerConfig
from pvmbench.agents.dreamerv3.dreamer import Dreamer
from pvmbench.agents.encoders import build_encoder, set_inference_dtype
from pvmbench.errors import UserError

ENCODER_PREFIX = "world_model.encoder."


def build_model(config: dict) -> Dreamer:
    """A Dreamer with fresh weights (and the installed pretrained encoder) from a checkpoint's config."""
    encoder = build_encoder(config["encoder"], config["mode"], **config.get("encoder_options", {}))
    expected = config.get("encoder_identity", {}).get("sha256")
    if config["mode"] == "frozen" and expected and encoder.identity().get("sha256") != expected:
        raise UserError(f"checkpoint's frozen {config['encoder']} weights have sha256 {expected[:12]}, but the "
                        f"installed ones have {encoder.identity().get('sha256', '?')[:12]}: install the same weights")
    return Dreamer(DreamerConfig.from_dict(config["dreamer"]), encoder, int(config["action_dim"]),
                   int(config.get("state_dim", 0)))


def load_weights(model: Dreamer, state_dict: dict, label: str) -> None:
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    frozen = model.encoder.mode == "frozen"
    needed = [k for k in missing if not (frozen and k.startswith(ENCODER_PREFIX))]
    if needed or unexpected:
        problem = f"missing {needed[0]}" if needed else f"unexpected {unexpected[0]}"
        raise UserError(f"dreamerv3 checkpoint state_dict does not fit {label}: {problem}")


class DreamerV3Agent:
    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        config = checkpoint.get("config", {})
        if "dreamer" not in config:
            raise UserError("the dreamerv3 agent is built from a checkpoint: train one with `pvmbench train --algo "
                            "dreamerv3 --out agent.pt` and pass --agent agent.pt")
        self.device = torch.device(checkpoint.get("device", "cpu"))
        self.model = build_model(config)
        load_weights(self.model, checkpoint["state_dict"], checkpoint.get("meta", {}).get("label", "dreamerv3"))
        set_inference_dtype(self.model.encoder, checkpoint.get("inference_dtype", "float32"))
        self.model.to(self.device).eval()
        self.uses_state = int(config.get("state_dim", 0)) > 0
        if self.uses_state and "state" not in observation_space.spaces:
            raise UserError("this dreamerv3 checkpoint reads obs['state'], which the env does not provide")
        self._start(num_envs)

    def _start(self, batch: int) -> None:
        self.carry = self.model.initial_carry(batch)
        self.is_first = np.ones(batch, bool)

    def reset(self, done_mask: np.ndarray) -> None:
        if len(done_mask) != len(self.is_first):
            self._start(len(done_mask))
        self.is_first |= np.asarray(done_mask, bool)

    @torch.no_grad()
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        if len(obs["image"]) != len(self.is_first):  # a batch of another size: every slot starts afresh
            self._start(len(obs["image"]))
        tensors = {"image": torch.as_tensor(np.ascontiguousarray(obs["image"]), device=self.device)}
        if self.uses_state:
            tensors["state"] = torch.as_tensor(np.asarray(obs["state"], np.float32), device=self.device)
        first = torch.as_tensor(self.is_first, device=self.device)
        action, self.carry = self.model.act(tensors, self.carry, first, deterministic=True)
        self.is_first[:] = False
        return action.cpu().numpy().astype(np.float32)
