"""The BC policy: a vision encoder, then an MLP head to actions in [-1, 1]."""

from __future__ import annotations

import torch
from torch import nn

from pvmbench.agents.encoders.base import Encoder


class BCPolicy(nn.Module):
    def __init__(self, encoder: Encoder, action_dim: int, hidden: int = 256):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(
            nn.LayerNorm(encoder.feature_dim),
            nn.Linear(encoder.feature_dim, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, action_dim), nn.Tanh(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(images))

    def head_from_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)
