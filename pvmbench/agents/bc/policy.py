"""The BC policy: a vision encoder, then an MLP head to actions in [-1, 1]; with `state_dim`, the head also
sees the robot's `state` vector through a small MLP.

Image only (state_dim 0) is the published layout: head = LayerNorm over the features, two SiLU layers,
tanh. Old checkpoints load into it unchanged.

With state: the state is normalised by the training demos' mean and std (buffers, so they travel in the
checkpoint and the agent applies them at eval), embedded by a two-layer MLP, and joined to the
LayerNormed image features before the same MLP. The state tells the policy where its gripper and the goal
are, which a wrist camera only hints at; finding the object is left to the image.

With neck "conv" (for encoders whose features are a flattened spatial map, `encoder.feature_shape`), two
trainable 3x3 convs (to NECK_CHANNELS, the second with stride 2, SiLU after each) read the map before the
head. They belong to the head, not the encoder: a frozen encoder stays frozen, and its cached features
serve them as they serve the MLP. Why: on Highway-v1 an MLP over EfficientNet-Lite0's block-10 map missed
most of the braking signal that this neck recovers (scripts/probes/highway_features/README.md).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pvmbench.agents.encoders.base import Encoder

STATE_HIDDEN = 64
# A state dimension that barely moves in the demos would be scaled up hugely; a floor keeps it near raw.
MIN_STATE_STD = 1e-2
NECKS = ("none", "conv")
NECK_CHANNELS = 64


def conv_neck(feature_shape: tuple[int, int, int]) -> tuple[nn.Module, int]:
    """(the conv neck over flattened (C, H, W) features, how many features it hands the head)."""
    channels, height, width = feature_shape
    neck = nn.Sequential(nn.Unflatten(1, feature_shape), nn.Conv2d(channels, NECK_CHANNELS, 3, padding=1), nn.SiLU(),
                         nn.Conv2d(NECK_CHANNELS, NECK_CHANNELS, 3, stride=2, padding=1), nn.SiLU(), nn.Flatten())
    return neck, NECK_CHANNELS * ((height + 1) // 2) * ((width + 1) // 2)


class StateNormaliser(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, states: torch.Tensor) -> StateNormaliser:
        states = states.double()
        self.mean.copy_(states.mean(0).float())
        self.std.copy_(states.std(0, unbiased=False).clamp_min(MIN_STATE_STD).float())
        return self

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return (state - self.mean) / self.std


class BCPolicy(nn.Module):
    def __init__(self, encoder: Encoder, action_dim: int, hidden: int = 256, state_dim: int = 0, neck: str = "none"):
        super().__init__()
        self.encoder = encoder
        self.state_dim = state_dim
        if neck not in NECKS:
            raise ValueError(f"neck={neck!r}: accepted: {', '.join(NECKS)}")
        feature_dim = encoder.feature_dim
        if neck == "conv":
            shape = getattr(encoder, "feature_shape", None)
            if shape is None:
                raise ValueError(f"neck 'conv' needs an encoder whose features are a spatial map; {encoder.name}'s "
                                 "are not (efficientnet-lite0: --encoder-option features=map or map14)")
            self.neck, feature_dim = conv_neck(tuple(shape))
        mlp = [nn.Linear(feature_dim + (STATE_HIDDEN if state_dim else 0), hidden), nn.SiLU(),
               nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, action_dim), nn.Tanh()]
        if state_dim:
            self.state_norm = StateNormaliser(state_dim)
            self.state_mlp = nn.Sequential(nn.Linear(state_dim, STATE_HIDDEN), nn.SiLU(),
                                           nn.Linear(STATE_HIDDEN, STATE_HIDDEN), nn.SiLU())
            self.feature_norm = nn.LayerNorm(feature_dim)
            self.head = nn.Sequential(*mlp)
        else:  # the published image-only layout: keys head.0 (LayerNorm) .. head.5
            self.head = nn.Sequential(nn.LayerNorm(feature_dim), *mlp)

    def forward(self, images: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        return self.head_from_features(self.encoder(images), state)

    def head_from_features(self, features: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        if hasattr(self, "neck"):
            features = self.neck(features)
        if not self.state_dim:
            return self.head(features)
        if state is None:
            raise ValueError("this policy was trained with the robot state: pass `state` with the images")
        joined = torch.cat([self.feature_norm(features), self.state_mlp(self.state_norm(state.float()))], dim=1)
        return self.head(joined)

    def head_parameters(self) -> list[nn.Parameter]:
        """Everything but the encoder: the head, the neck if any, and the state MLP and feature norm when
        there is a state."""
        return [p for name, p in self.named_parameters() if not name.startswith("encoder.")]

    @torch.no_grad()
    def act(self, obs: dict[str, np.ndarray], device: torch.device) -> np.ndarray:
        """Batched observations (uint8 images, and `state` if the policy uses it) -> float32 actions."""
        images = torch.as_tensor(np.ascontiguousarray(obs["image"]), device=device)
        state = torch.as_tensor(np.asarray(obs["state"]), device=device) if self.state_dim else None
        return self(images, state).cpu().numpy().astype(np.float32)
