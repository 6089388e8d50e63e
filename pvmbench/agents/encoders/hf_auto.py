"""`hf:<hub id or directory>`: any Hugging Face vision backbone as a pvmbench encoder, with no user code.

The model loads with `AutoModel.from_pretrained(..., local_files_only=True)`: from a directory written by
`save_pretrained`, or by hub id from the local Hugging Face cache; never a download. A dual model (CLIP,
SigLIP) gives its vision tower. Two layouts are understood, told apart by one forward pass at load time:

- token models (ViT, DeiT, DINOv2, BEiT, CLIP/SigLIP towers): `last_hidden_state` is (B, T, C), the patch
  tokens are its last (S/patch)^2 rows (after a CLS and any register tokens);
- convolutional models (ConvNeXt, ResNet, ...): `last_hidden_state` is a (B, C, h, w) map.

`features` chooses what the agent gets: `pooled` (the model's `pooler_output`), `cls` (token 0), `mean` (of
the patch tokens, or of the map), `patch` (every patch token or map cell, flattened: the study's DINOv2
form); `auto` is pooled where the model has a pooler, else cls for token models and mean for maps.

Preprocessing follows the directory's `preprocessor_config.json` where there is one (mean, std, resize and
centre crop), else ImageNet statistics and a plain resize to the model's `image_size` (224 if it has none).
Blocks are the first of `encoder.layer`, `encoder.layers`, `encoder.stages`, `stages`, `layers` found, in
depth order; `partial` trains the last `trainable_blocks` of them (default: the last third).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn

from pvmbench.agents.encoders.base import Encoder, resize_crop, state_dict_sha256
from pvmbench.agents.encoders.hf_vit import IMAGENET_MEAN, IMAGENET_STD, load_pretrained
from pvmbench.errors import UserError

FEATURES = ("auto", "pooled", "cls", "mean", "patch")
BLOCK_PATHS = ("encoder.layer", "encoder.layers", "encoder.stages", "stages", "layers")
DEFAULT_SIZE = 224


def _find(model: nn.Module, dotted: str):
    for part in dotted.split("."):
        model = getattr(model, part, None)
        if model is None:
            return None
    return model


def _preprocessor(source: str) -> dict:
    path = Path(source).expanduser() / "preprocessor_config.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable JSON preprocessor config ({exc})") from None


def _side(value) -> int | None:
    """An int size from the forms preprocessor configs use: 224, {"height": 224, ...}, {"shortest_edge": 256}."""
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        for key in ("shortest_edge", "height", "width"):
            if isinstance(value.get(key), int):
                return value[key]
    return None


class HFAutoEncoder(Encoder):
    name = "hf"
    pretrained = True

    def __init__(self, mode: str = "frozen", source: str | None = None, features: str = "auto",
                 trainable_blocks: int | None = None, model: nn.Module | None = None):
        if features not in FEATURES:
            raise ValueError(f"features={features!r}: accepted: {', '.join(FEATURES)}")
        if source is None and model is None:
            raise ValueError("give source=<hub id or directory>")
        source = str(source) if source is not None else "in-memory"
        if model is None:
            # A backbone saved without its pooler (add_pooling_layer=False) loads without one.
            model = load_pretrained("AutoModel", source, f"hf:{source}", source, optional=("pooler",))
        model = getattr(model, "vision_model", model) if hasattr(model, "text_model") else model
        super().__init__(mode, trainable_blocks=trainable_blocks)
        self.model, self.source, self.name = model, source, f"hf:{source}"
        config = getattr(model, "config", None)
        self.patch_size = getattr(config, "patch_size", None)
        self._set_preprocessing(config, _preprocessor(source))
        self.layout, self.feature_mode, self.feature_dim = self._probe(features)
        self._weights_sha256 = state_dict_sha256(self.model)  # the weights as loaded: what frozen must keep

    # -- construction ---------------------------------------------------------------------------------
    def _set_preprocessing(self, config, processor: dict) -> None:
        size = getattr(config, "image_size", None)
        crop = _side(processor.get("crop_size")) if processor.get("do_center_crop") else None
        resize = _side(processor.get("size")) if processor.get("do_resize", True) else None
        self.input_size = int(crop or resize or (size if isinstance(size, int) else DEFAULT_SIZE))
        self.resize = int(resize if crop and resize else self.input_size)
        mean = processor.get("image_mean") or IMAGENET_MEAN
        std = processor.get("image_std") or IMAGENET_STD
        self.register_buffer("pixel_mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1) * 255,
                             persistent=False)
        self.register_buffer("pixel_std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1) * 255,
                             persistent=False)
        self.interpolation = "bicubic" if processor.get("resample") == 3 else "bilinear"

    @torch.no_grad()
    def _probe(self, features: str) -> tuple[str, str, int]:
        """(layout, feature mode, feature_dim) from one forward pass on a blank input."""
        was_training = self.model.training
        self.model.eval()
        out = self.model(pixel_values=torch.zeros(1, 3, self.input_size, self.input_size))
        self.model.train(was_training)
        hidden = out.last_hidden_state
        layout = "tokens" if hidden.ndim == 3 else "map" if hidden.ndim == 4 else None
        if layout is None:
            raise UserError(f"hf:{self.source}: last_hidden_state has shape {tuple(hidden.shape)}; accepted: "
                            "(B, tokens, C) or (B, C, h, w)")
        has_pooler = getattr(out, "pooler_output", None) is not None
        mode = features if features != "auto" else "pooled" if has_pooler else "cls" if layout == "tokens" else "mean"
        if mode == "pooled" and not has_pooler:
            raise UserError(f"hf:{self.source}: features=pooled, but the model returns no pooler_output; "
                            f"accepted here: {', '.join(f for f in FEATURES if f != 'pooled')}")
        if mode == "cls" and layout == "map":
            raise UserError(f"hf:{self.source}: features=cls needs a token model; this one returns a feature map")
        if layout == "tokens":
            self.num_patches = self._num_patches(hidden.shape[1])
        self.layout = layout  # _select reads it
        return layout, mode, int(self._select(out, mode).shape[1])

    def _num_patches(self, tokens: int) -> int:
        if self.patch_size:
            grid = (self.input_size // int(self.patch_size)) ** 2
            if grid < tokens:
                return grid
        side = math.isqrt(tokens - 1)  # no patch size: a CLS and a square grid
        if side * side != tokens - 1:
            raise UserError(f"hf:{self.source}: cannot tell its {tokens} tokens' patch grid; set patch_size")
        return side * side

    # -- the Encoder interface ------------------------------------------------------------------------
    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        x = resize_crop(images, self.resize, self.input_size, interpolation=self.interpolation)
        return (x - self.pixel_mean) / self.pixel_std

    def _select(self, out, mode: str) -> torch.Tensor:
        hidden = out.last_hidden_state
        if mode == "pooled":
            return out.pooler_output.flatten(1)
        if self.layout == "map":
            return hidden.mean(dim=(2, 3)) if mode == "mean" else hidden.flatten(1)
        if mode == "cls":
            return hidden[:, 0]
        patches = hidden[:, -self.num_patches:]
        return patches.mean(dim=1) if mode == "mean" else patches.flatten(1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self._select(self.model(pixel_values=x), self.feature_mode)

    def blocks(self) -> list[nn.Module]:
        for path in BLOCK_PATHS:
            found = _find(self.model, path)
            if isinstance(found, nn.ModuleList | nn.Sequential) and len(found):
                return list(found)
        return []

    def identity(self) -> dict:
        return {"name": "hf", "source": self.source, "features": self.feature_mode, "sha256": self._weights_sha256,
                "state_dict_sha256": state_dict_sha256(self.model)}

    # -- for the attention analysis ---------------------------------------------------------------------
    @property
    def has_spatial_map(self) -> bool:
        # A CLS or pooled token model's features do not depend on the last layer's patch tokens: no gradient.
        return self.layout == "map" or self.feature_mode in ("mean", "patch")

    @property
    def has_attention(self) -> bool:
        return self.layout == "tokens"

    def spatial_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.has_spatial_map:
            raise NotImplementedError(f"{self.name}: features={self.feature_mode} has no spatial map on its path")
        out = self.model(pixel_values=x)
        if self.layout == "map":
            return out.last_hidden_state, self._select(out, self.feature_mode)
        side = math.isqrt(self.num_patches)
        patches = out.last_hidden_state[:, -self.num_patches:]
        fmap = patches.transpose(1, 2).reshape(len(x), -1, side, side)
        pooled = fmap.flatten(2).transpose(1, 2)
        return fmap, pooled.mean(dim=1) if self.feature_mode == "mean" else pooled.flatten(1)

    def cls_attention(self, x: torch.Tensor) -> torch.Tensor:
        if not self.has_attention:
            raise NotImplementedError(f"{self.name} is a convolutional model: no attention of its own")
        if hasattr(self.model, "set_attn_implementation"):
            self.model.set_attn_implementation("eager")  # fused kernels return no weights
        attentions = self.model(pixel_values=x, output_attentions=True).attentions
        if not attentions:
            raise NotImplementedError(f"{self.name} returns no attention weights")
        side = math.isqrt(self.num_patches)
        return attentions[-1][:, :, 0, -self.num_patches:].mean(dim=1).reshape(-1, side, side)

