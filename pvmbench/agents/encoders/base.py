"""The encoder interface: image batch (uint8, B x H x W x 3) -> features (float, B x D).

Every encoder owns its preprocessing (resize, crop, normalisation per model), so agents hand it
raw observation images. Fine-tune modes follow the reference study:
  frozen   no gradient, eval mode (BatchNorm/Dropout fixed), weights bit-identical after training
  partial  only the last `trainable_blocks` blocks train; embeddings and earlier blocks frozen
  full     everything trains
Pretrained layers get their own learning rate (the study used 4e-6 against 4e-5 for the rest).
"""

from __future__ import annotations

import abc

import torch
from torch import nn
from torch.nn import functional as F

MODES = ("frozen", "partial", "full", "scratch")


class Encoder(nn.Module, abc.ABC):
    """Subclasses set `name`, `feature_dim`, `input_size`, and implement the four methods."""

    name: str
    feature_dim: int
    input_size: int  # the native square input size its preprocessing produces
    pretrained: bool = True
    inference_dtype: str = "float32"  # "bfloat16": forward runs under autocast (set_inference_dtype)
    spec: str | None = None  # how build_encoder named it, and its options: what a checkpoint stores
    options: dict | None = None

    def __init__(self, mode: str, trainable_blocks: int | None = None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}: accepted: {', '.join(MODES)}")
        self.mode = mode
        self.trainable_blocks = trainable_blocks

    @abc.abstractmethod
    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, H, W, 3) on the encoder's device -> the model's normalised input (B, 3, S, S)."""

    @abc.abstractmethod
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed input -> (B, feature_dim) features."""

    @abc.abstractmethod
    def blocks(self) -> list[nn.Module]:
        """The model's sequence of blocks, in order; `partial` trains the last few."""

    @abc.abstractmethod
    def identity(self) -> dict:
        """Where the pretrained weights came from: name or path, and a sha256 of the state dict."""

    # -- optional, for the attention analysis: an encoder offers one or both --------------------------
    def spatial_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Preprocessed input -> (its last spatial feature map (B, C, h, w), features (B, feature_dim)), the
        map on the autograd path to the features: what Grad-CAM weights. Encoders without one raise."""
        raise NotImplementedError(f"encoder {self.name!r} exposes no spatial feature map")

    def cls_attention(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed input -> (B, g, g) last-layer attention from the CLS token to each patch, head mean.
        Only encoders with their own attention implement it; others raise."""
        raise NotImplementedError(f"encoder {self.name!r} has no attention of its own")

    @property
    def has_spatial_map(self) -> bool:
        return type(self).spatial_features is not Encoder.spatial_features

    @property
    def has_attention(self) -> bool:
        return type(self).cls_attention is not Encoder.cls_attention

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.preprocess(images)
        # Features come back float32 under bf16 autocast too, so heads and losses need no casts.
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.inference_dtype == "bfloat16"):
            if self.mode == "frozen":
                with torch.no_grad():
                    return self.features(x).float()
            return self.features(x).float()

    def apply_mode(self) -> Encoder:
        """Set requires_grad (and eval mode for frozen) according to the fine-tune mode."""
        for p in self.parameters():
            p.requires_grad = self.mode in ("full", "scratch")
        if self.mode == "partial":
            for block in self.partial_blocks():
                for p in block.parameters():
                    p.requires_grad = True
        if self.mode == "frozen":
            self.eval()
        return self

    def partial_blocks(self) -> list[nn.Module]:
        """The blocks `partial` trains: the last `trainable_blocks`, or the last third (4 of a ViT's 12)."""
        blocks = self.blocks()
        n = int(self.trainable_blocks) if self.trainable_blocks else max(1, -(-len(blocks) // 3))
        return blocks[-n:] if n > 0 else []

    def train(self, mode: bool = True) -> Encoder:
        # A frozen encoder stays in eval mode even when the agent around it trains.
        return super().train(mode and self.mode != "frozen")

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def block_input(self, x: torch.Tensor, module: nn.Module, stop: bool = True) -> torch.Tensor:
        """Preprocessed input -> the tensor `module` receives (its first argument) when `features(x)` runs.

        With stop, the forward ends there: for the first block `partial` trains, that is the frozen trunk's
        output, computed by the encoder's own forward, so BC can cache it once per frame and train only the
        tail (agents/bc/trunk_split.py) with no model-specific copy of the trunk.
        """
        captured: list[torch.Tensor] = []

        def grab(_module, args):
            captured.append(args[0])
            if stop:
                raise _ReachedModule

        handle = module.register_forward_pre_hook(grab)
        try:
            self.features(x)
        except _ReachedModule:
            pass
        finally:
            handle.remove()
        if not captured:
            raise RuntimeError(f"{type(module).__name__} was not called by {self.name}'s features()")
        return captured[0]


class _ReachedModule(Exception):
    """Ends a forward early once block_input has what it asked for."""


def resize_crop(images: torch.Tensor, resize: int, crop: int,
                interpolation: str = "bilinear") -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, crop, crop) in [0, 255]: shorter side to `resize`, centre crop.

    Antialiased, as PIL resizes for the models' own processors; bicubic overshoot is clamped as PIL does.
    """
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 images (B, H, W, 3), got {images.dtype} {tuple(images.shape)}")
    x = images.permute(0, 3, 1, 2).float()
    h, w = x.shape[-2:]
    size = (resize, round(w * resize / h)) if h <= w else (round(h * resize / w), resize)
    if (h, w) != size:
        x = F.interpolate(x, size=size, mode=interpolation, antialias=True, align_corners=False)
        x = x.clamp_(0, 255)
    top, left = (size[0] - crop) // 2, (size[1] - crop) // 2
    return x[..., top:top + crop, left:left + crop]


def state_dict_sha256(module: nn.Module) -> str:
    import hashlib

    digest = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
