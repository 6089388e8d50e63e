"""Vision encoders for visuomotor agents: build one by name and fine-tune mode, and set up its optimiser.

    cnn                 DreamerV3-style CNN, trained from scratch (mode "scratch" only)
    efficientnet-lite0  ImageNet EfficientNet-Lite0 from PyPI: the pretrained encoder that needs no hub
    dinov2              DINOv2-S/14 (facebook/dinov2-small), patch tokens or CLS; needs transformers
    clip                CLIP-B/32 vision tower (openai/clip-vit-base-patch32), pooled; needs transformers

Model modules are imported on demand, so the cnn needs neither transformers nor the EfficientNet wheels.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable

from torch import nn

from pvmbench.agents.encoders.base import MODES, Encoder, state_dict_sha256
from pvmbench.errors import UserError

ENCODERS = ("cnn", "efficientnet-lite0", "dinov2", "clip")
PRETRAINED_MODES = ("frozen", "partial", "full")
INFERENCE_DTYPES = ("float32", "bfloat16")
_CLASSES = {"cnn": ("cnn", "CNNEncoder"), "efficientnet-lite0": ("efficientnet", "EfficientNetLite0Encoder"),
            "dinov2": ("hf_vit", "DINOv2Encoder"), "clip": ("hf_vit", "CLIPEncoder")}

__all__ = ["ENCODERS", "INFERENCE_DTYPES", "MODES", "PRETRAINED_MODES", "Encoder", "build_encoder",
           "param_groups", "set_inference_dtype", "state_dict_sha256"]


def encoder_class(name: str) -> type[Encoder]:
    if name not in ENCODERS:
        raise UserError(f"encoder {name!r}: accepted: {', '.join(ENCODERS)}")
    module, cls = _CLASSES[name]
    return getattr(importlib.import_module(f"pvmbench.agents.encoders.{module}"), cls)


def build_encoder(name: str, mode: str, **kwargs) -> Encoder:
    """The encoder `name` in fine-tune `mode`, requires_grad and eval mode set (apply_mode)."""
    cls = encoder_class(name)
    accepted = ("scratch",) if name == "cnn" else PRETRAINED_MODES
    if mode not in accepted:
        raise UserError(f"encoder {name!r} mode {mode!r}: accepted: {', '.join(accepted)}")
    options = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "mode", "model")]
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise UserError(f"encoder {name!r} option(s) {', '.join(unknown)}: "
                        f"accepted: {', '.join(options) or 'none'}")
    return cls(mode, **kwargs).apply_mode()


def param_groups(encoder: Encoder, head_params: Iterable[nn.Parameter], lr: float = 4e-5,
                 pretrained_lr: float = 4e-6) -> list[dict]:
    """Optimiser parameter groups: trainable pretrained encoder weights at pretrained_lr (the study's 4e-6),
    a scratch encoder and the head at lr (4e-5). head_params may include the encoder's own parameters (e.g.
    agent.parameters()): those stay in the encoder group. Empty groups are left out."""
    encoder_params = encoder.trainable_parameters()
    seen = {id(p) for p in encoder_params}
    head = [p for p in head_params if p.requires_grad and id(p) not in seen and not seen.add(id(p))]
    groups = []
    if encoder_params:
        groups.append({"params": encoder_params, "lr": pretrained_lr if encoder.pretrained else lr,
                       "name": "encoder"})
    if head:
        groups.append({"params": head, "lr": lr, "name": "head"})
    return groups


def set_inference_dtype(encoder: Encoder, dtype: str) -> Encoder:
    """"bfloat16": the encoder's forward runs under torch.autocast (features still come back float32)."""
    if dtype not in INFERENCE_DTYPES:
        raise UserError(f"inference dtype {dtype!r}: accepted: {', '.join(INFERENCE_DTYPES)}")
    encoder.inference_dtype = dtype
    return encoder
