"""DINOv2 and CLIP vision transformers from Hugging Face transformers, loaded offline only.

`source` is a hub name, found only in the local Hugging Face cache (local_files_only: never a download),
or a directory written by save_pretrained. Sizes come from the model config, so tiny test models work:
the crop is the study's 224, or the model's own image_size when that is smaller; DINOv2 resizes the
shorter side to 256/224 of the crop first (256 -> 224), CLIP resizes straight to the crop (224 -> 224).
Resizing is bicubic, as both models' own image processors do.

blocks() is the transformer layers. `partial` trains the last min(4, n) of the n layers (blocks 8-11 of
12); the embeddings, CLIP's pre-layernorm, the earlier layers and the final layernorm stay frozen.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import torch
from torch import nn

from pvmbench.agents.encoders.base import Encoder, resize_crop, state_dict_sha256
from pvmbench.errors import UserError

PARTIAL_BLOCKS = 4
STUDY_CROP = 224
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


@contextlib.contextmanager
def _quiet_transformers():
    # Loading a full CLIP checkpoint into the vision tower logs a page of "unexpected" text-model keys.
    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def load_pretrained(model_class_name: str, source: str, label: str, default: str,
                    optional: tuple[str, ...] = ()) -> nn.Module:
    """Load offline, or raise a one-line UserError saying how to get the weights. A submodule named in
    `optional` (e.g. "pooler") whose weights the checkpoint lacks is removed rather than left random."""
    try:
        import transformers
    except ImportError:
        raise UserError(f"the {label} encoder needs transformers: pip install 'pvmbench[hf]'") from None
    source = str(source)
    local = Path(source).expanduser()
    is_dir = local.is_dir()
    try:
        with _quiet_transformers():
            model, info = getattr(transformers, model_class_name).from_pretrained(
                str(local) if is_dir else source, local_files_only=True, dtype=torch.float32,
                output_loading_info=True)
    except (OSError, ValueError) as err:
        if is_dir or not HUB_NAME.fullmatch(source):
            reason = "no such directory" if not local.exists() else (str(err).splitlines() or [repr(err)])[0]
            raise UserError(f"{label} weights: {source!r} is not a directory saved with save_pretrained "
                            f"({reason}); pass one, or the hub name {default!r} once `hf download {default}` "
                            "on a machine with internet has put it in the Hugging Face cache") from None
        raise UserError(f"{label} weights {source!r} are not in the Hugging Face cache and no hub is "
                        f"reachable; download them once with `hf download {source}` on a machine with "
                        "internet, or pass a local directory saved with save_pretrained") from None
    for name in optional:
        if any(k.startswith(f"{name}.") for k in info["missing_keys"]) and getattr(model, name, None) is not None:
            setattr(model, name, None)
            info["missing_keys"] = [k for k in info["missing_keys"] if not k.startswith(f"{name}.")]
    if info["missing_keys"]:
        # transformers would silently initialise them at random: a benchmark of random weights.
        missing = sorted(info["missing_keys"])
        raise UserError(f"{label} weights {source!r} do not fit {model_class_name}: {len(missing)} tensors "
                        f"missing (e.g. {missing[0]}); is it a {label} checkpoint?")
    return model


class _HFViTEncoder(Encoder):
    label: str
    default_source: str
    model_class_name: str
    resize_ratio: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __init__(self, mode: str, source: str | None = None, model: nn.Module | None = None):
        if mode not in ("frozen", "partial", "full"):
            raise ValueError(f"mode={mode!r}: accepted: frozen, partial, full")
        source = self.default_source if source is None else str(source)
        if model is None:
            model = load_pretrained(self.model_class_name, source, self.label, self.default_source)
        n_layers = model.config.num_hidden_layers
        super().__init__(mode, trainable_blocks=min(PARTIAL_BLOCKS, n_layers))
        self.model, self.source = model, source
        self.input_size = min(STUDY_CROP, model.config.image_size)
        self.resize = round(self.input_size * self.resize_ratio)
        self.num_patches = (self.input_size // model.config.patch_size) ** 2
        # Pixel statistics in 0..255 units; non-persistent so the state dict (and its sha256) is the model's.
        self.register_buffer("pixel_mean", torch.tensor(self.mean).view(1, 3, 1, 1) * 255, persistent=False)
        self.register_buffer("pixel_std", torch.tensor(self.std).view(1, 3, 1, 1) * 255, persistent=False)

    @classmethod
    def from_model(cls, model: nn.Module, mode: str, source: str = "in-memory", **kwargs) -> _HFViTEncoder:
        """Wrap an already built model (e.g. one with random weights for speed tests)."""
        return cls(mode, source=source, model=model, **kwargs)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        x = resize_crop(images, self.resize, self.input_size, interpolation="bicubic")
        return (x - self.pixel_mean) / self.pixel_std

    def identity(self) -> dict:
        return {"name": self.name, "source": self.source, "sha256": state_dict_sha256(self)}

    def cls_attention(self, x: torch.Tensor) -> torch.Tensor:
        # Fused attention kernels do not return weights; eager attention computes the same thing.
        self.model.set_attn_implementation("eager")
        attn = self.model(pixel_values=x, output_attentions=True).attentions[-1]  # (B, heads, T, T)
        side = self.input_size // self.model.config.patch_size
        return attn[:, :, 0, 1:1 + side * side].mean(dim=1).reshape(-1, side, side)


class DINOv2Encoder(_HFViTEncoder):
    name, label = "dinov2", "DINOv2"
    default_source = "facebook/dinov2-small"
    model_class_name = "Dinov2Model"
    resize_ratio = 256 / 224
    mean, std = IMAGENET_MEAN, IMAGENET_STD

    def __init__(self, mode: str = "frozen", source: str | None = None, tokens: str = "patch",
                 model: nn.Module | None = None):
        if tokens not in ("patch", "cls"):
            raise ValueError(f"tokens={tokens!r}: accepted: patch, cls")
        super().__init__(mode, source, model)
        self.tokens = tokens
        hidden = self.model.config.hidden_size
        # patch: every patch token of the last layer, flattened (256 x 384 for ViT-S/14 at 224); cls: the CLS.
        self.feature_dim = self.num_patches * hidden if tokens == "patch" else hidden

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(pixel_values=x).last_hidden_state  # after the final layernorm
        return out[:, 1:1 + self.num_patches].flatten(1) if self.tokens == "patch" else out[:, 0]

    def blocks(self) -> list[nn.Module]:
        return list(self.model.encoder.layer)

    def identity(self) -> dict:
        return {**super().identity(), "tokens": self.tokens}


class CLIPEncoder(_HFViTEncoder):
    name, label = "clip", "CLIP"
    default_source = "openai/clip-vit-base-patch32"
    model_class_name = "CLIPVisionModel"
    resize_ratio = 1.0
    mean, std = CLIP_MEAN, CLIP_STD

    def __init__(self, mode: str = "frozen", source: str | None = None, model: nn.Module | None = None):
        super().__init__(mode, source, model)
        self.feature_dim = self.model.config.hidden_size  # pooled: post-layernormed CLS, 768 for B/32

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=x).pooler_output

    def blocks(self) -> list[nn.Module]:
        # transformers < 5 nests the tower under .vision_model; 5.x does not.
        return list(getattr(self.model, "vision_model", self.model).encoder.layers)
