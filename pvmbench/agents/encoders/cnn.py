"""The baseline: a DreamerV3-style convolutional encoder trained from scratch with the agent.

Four stride-2 convolutions (kernel 4, channels depth * (1, 2, 4, 8)), each followed by a LayerNorm over
channels and SiLU, then flatten: 64 x 64 -> 8*depth x 4 x 4 (4096 features at depth 32).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from pvmbench.agents.encoders.base import Encoder


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channel axis of (B, C, H, W), as DreamerV3 normalises conv outputs per pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class CNNEncoder(Encoder):
    name = "cnn"
    pretrained = False

    def __init__(self, mode: str = "scratch", input_size: int = 64, depth: int = 32):
        if mode != "scratch":
            raise ValueError(f"the cnn encoder has no pretrained weights: mode={mode!r}: accepted: scratch")
        if input_size % 16 or input_size < 16:
            raise ValueError(f"input_size={input_size}: must be a multiple of 16 (four stride-2 convs)")
        super().__init__(mode)
        self.input_size, self.depth = input_size, depth
        stages, channels = [], 3
        for mult in (1, 2, 4, 8):
            # padding 1 halves the side exactly; no conv bias since the norm that follows would cancel it.
            stages.append(nn.Sequential(nn.Conv2d(channels, depth * mult, 4, stride=2, padding=1, bias=False),
                                        ChannelLayerNorm(depth * mult), nn.SiLU()))
            channels = depth * mult
        self.stages = nn.ModuleList(stages)
        self.feature_dim = channels * (input_size // 16) ** 2

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        # A square resize, no crop: observations are already framed for the agent, and DreamerV3 resizes.
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected uint8 images (B, H, W, 3), got {images.dtype} {tuple(images.shape)}")
        # On the CPU, resized in uint8 before the float conversion: the (B, H, W, 3) frames permuted are
        # channels-last uint8, which torch resizes on its vectorised uint8 path, and only the smaller image is
        # converted. At 96 -> 64 px the float path cost Agent.act 1.42x the bare forward, this one 1.09x
        # (tests/perf/test_agent_act_speed.py). The result is rounded to whole intensities, so actions differ
        # from the float path in the last bits. CUDA's antialiased resize takes floats only.
        x = images.permute(0, 3, 1, 2)
        if x.device.type != "cpu":
            x = x.float()
        if x.shape[-2:] != (self.input_size, self.input_size):
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", antialias=True,
                              align_corners=False)
        return x.float() / 255.0 - 0.5

    def features(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return x.flatten(1)

    def spatial_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for stage in self.stages:
            x = stage(x)
        return x, x.flatten(1)

    def blocks(self) -> list[nn.Module]:
        return list(self.stages)

    def identity(self) -> dict:
        return {"name": "cnn", "weights": "trained from scratch"}
