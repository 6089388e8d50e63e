"""`partial` split into the frozen trunk and the trainable tail, so that the trunk runs once per frame.

In `partial` mode everything before the first trainable block is frozen and in eval mode (BatchNorm on
its running statistics, no drop-path), so its output for a given input frame never changes during
training. BC computes it once per augmented copy of each frame (feature_cache.py) and trains the tail
and head on the cached activations: the same model, and the same gradients, as running the whole encoder
every step, at a fraction of the cost on a CPU.

The trunk is the encoder's own forward stopped at the first trainable block (Encoder.block_input), so no
encoder needs trunk code of its own. The tail has to replay the rest of `features`, which is model code:
it is written here for the encoders whose forward is known. Others train `partial` on whole images.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from pvmbench.agents.encoders.base import Encoder


class TrunkSplit(Protocol):
    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed input -> the activations entering the first trainable block."""

    def tail(self, h: torch.Tensor) -> torch.Tensor:
        """Those activations -> the encoder's features, as `encoder.features` would compute them."""


class EfficientNetLite0Split:
    """EfficientNet-Lite0 (encoders/efficientnet.py): stem, the 16 MBConv blocks (block i with drop-connect
    rate * i / 16), then for the `pool` layout head conv, BatchNorm, activation and the mean over space, for
    the map layouts (`map`, `map14`) the map of the layout's last block flattened."""

    def __init__(self, encoder: Encoder):
        self.encoder, self.model = encoder, encoder.model
        first = encoder.partial_blocks()[0]
        blocks = list(self.model._blocks)
        self.first = next((i for i, b in enumerate(blocks) if b is first), len(blocks))
        # With only the head trainable, the trunk ends at the head conv, the first module the head group calls.
        self.entry: nn.Module = blocks[self.first] if self.first < len(blocks) else self.model._conv_head

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.block_input(x, self.entry)

    def tail(self, h: torch.Tensor) -> torch.Tensor:
        m, n = self.model, len(self.model._blocks)
        for idx in range(self.first, self.encoder.map_blocks):
            rate = m._global_params.drop_connect_rate
            if rate:
                rate *= float(idx) / n  # extract_features' scaling, so stochastic depth matches
            h = m._blocks[idx](h, drop_connect_rate=rate)
        if self.encoder.layout != "pool":
            return h.flatten(1)
        return m._swish(m._bn1(m._conv_head(h))).mean(dim=(2, 3))


def trunk_split(encoder: Encoder) -> TrunkSplit | None:
    """The split for a `partial` encoder whose tail is known here, else None (train on whole images)."""
    if encoder.mode != "partial":
        return None
    from pvmbench.agents.encoders.efficientnet import EfficientNetLite0Encoder

    if isinstance(encoder, EfficientNetLite0Encoder):
        return EfficientNetLite0Split(encoder)
    return None
