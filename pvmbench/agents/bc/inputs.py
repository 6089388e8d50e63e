"""How a training batch reaches the head, per fine-tune mode: the part of the model that trains, fed the
cheapest input that gives it the same values.

  FreshShiftImages   scratch, full (and partial for encoders without a known trunk split): the whole
                     encoder on frames shifted afresh every batch.
  CachedFeatures     frozen: the encoder's features of `copies` shifted copies of each frame, computed once.
  CachedTrunk        partial: the frozen trunk's activations of `copies` shifted copies of each frame,
                     computed once; every step runs only the trainable tail (trunk_split.py).

Each gives `train_features(positions)` (features of the training frames at those positions, augmented,
on the autograd path to whatever trains), `val_features(positions)` (held-out frames, unshifted) and
`extend(images)`, which appends training frames (a DAgger round's, dagger.py) after the existing ones.

`reuse_at_act()` is the (frozen, tail) pair when an unshifted cache entry is exactly what the policy computes
while it acts (no DrQ shift, as on driving): a DAgger round then keeps the frozen outputs its own episodes
computed, and `extend(images, frozen_values=...)` appends them instead of running the frozen part again on
every new frame (with EfficientNet at 224 px that second pass cost as much as the round itself).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from pvmbench.agents.bc.augment import random_shift
from pvmbench.agents.bc.feature_cache import AugmentedCache, cache_frozen
from pvmbench.agents.bc.trunk_split import trunk_split
from pvmbench.agents.encoders.base import Encoder

CACHE_BATCH = 64


@dataclasses.dataclass(frozen=True)
class FrozenReuse:
    frozen: Callable[[torch.Tensor], torch.Tensor]  # uint8 frames -> what the cache stores per frame
    tail: Callable[[torch.Tensor], torch.Tensor]  # those values -> the encoder's features


class FreshShiftImages:
    kind = "fresh shift per batch"

    def __init__(self, encoder: Encoder, train_images: torch.Tensor, val_images: torch.Tensor, pad: int,
                 generator: torch.Generator):
        self.encoder, self.train_images, self.val_images = encoder, train_images, val_images
        self.pad, self.generator = pad, generator

    def train_features(self, positions: torch.Tensor) -> torch.Tensor:
        frames, _ = random_shift(self.train_images[positions.to(self.train_images.device)], self.pad, self.generator)
        return self.encoder(frames)

    def val_features(self, positions: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.val_images[positions.to(self.val_images.device)])

    def extend(self, images: torch.Tensor, frozen_values: torch.Tensor | None = None) -> None:
        if frozen_values is not None:
            raise ValueError("whole-image training keeps no frozen values: reuse_at_act() is None")
        self.train_images = torch.cat([self.train_images, images.to(self.train_images.device)])

    def reuse_at_act(self) -> FrozenReuse | None:
        return None

    def describe(self) -> dict:
        return {"kind": self.kind, "pad": self.pad}


class _CachedFrozen:
    """Shifted copies of what a frozen function makes of each frame, computed once; `tail` is what trains."""
    kind = ""

    def __init__(self, frozen, tail, train_images: torch.Tensor, val_images: torch.Tensor, pad: int, copies: int,
                 generator: torch.Generator, progress: bool, what: str, store_as: dict):
        self.frozen, self.tail = frozen, tail
        self.train = cache_frozen(frozen, train_images, copies, pad, generator, CACHE_BATCH, progress, f"frozen {what}",
                                  store_as)
        self.val = _held_out(frozen, val_images, progress, f"held-out {what}", store_as)
        self.pad, self.generator, self.progress = pad, generator, progress

    def extend(self, images: torch.Tensor, frozen_values: torch.Tensor | None = None) -> None:
        if frozen_values is None:
            self.train = _appended(self.train, self.frozen, images, self.pad, self.generator, self.progress)
            return
        if self.reuse_at_act() is None:
            raise ValueError("frozen values computed while acting are unshifted; this cache shifts its copies")
        if len(frozen_values) != len(images) or frozen_values.shape[1:] != self.train.chunks[0].shape[2:]:
            raise ValueError(f"frozen values of shape {tuple(frozen_values.shape)} for {len(images)} frames; "
                             f"the cache holds {tuple(self.train.chunks[0].shape[2:])} per frame")
        values = frozen_values.to(self.train.chunks[0].device, self.train.chunks[0].dtype)
        copies = self.train.copies  # unshifted copies are all the same
        more = AugmentedCache(values[None].expand(copies, *values.shape),
                              torch.zeros((copies, len(values), 2), dtype=self.train.offsets.dtype))
        self.train = self.train.appended(more)

    def reuse_at_act(self) -> FrozenReuse | None:
        """(frozen, tail) when every cached copy is the unshifted frame's, i.e. what acting computes."""
        return FrozenReuse(self.frozen, self.tail) if self.pad == 0 else None

    def train_features(self, positions: torch.Tensor) -> torch.Tensor:
        return self.tail(self.train.sample(positions, self.generator))

    def val_features(self, positions: torch.Tensor) -> torch.Tensor:
        return self.tail(self.val.values[0, positions.to(self.val.values.device)])

    def describe(self) -> dict:
        return {"kind": self.kind, "pad": self.pad, "copies": self.train.copies}


class CachedFeatures(_CachedFrozen):
    kind = "cached shifted copies (features)"

    def __init__(self, encoder: Encoder, train_images: torch.Tensor, val_images: torch.Tensor, pad: int,
                 copies: int, generator: torch.Generator, progress: bool):
        encoder.eval()
        super().__init__(encoder, _identity, train_images, val_images, pad, copies, generator, progress, "features",
                         _store_as(encoder, "features"))


class CachedTrunk(_CachedFrozen):
    kind = "cached shifted copies (frozen trunk)"

    def __init__(self, encoder: Encoder, split, train_images: torch.Tensor, val_images: torch.Tensor, pad: int,
                 copies: int, generator: torch.Generator, progress: bool):
        self.split = split
        encoder.eval()  # the trunk is in eval mode whatever the agent's mode; this just says so

        def trunk(frames: torch.Tensor) -> torch.Tensor:
            return split.trunk(encoder.preprocess(frames))

        super().__init__(trunk, split.tail, train_images, val_images, pad, copies, generator, progress, "trunk",
                         _store_as(encoder, f"trunk to block {getattr(split, 'first', '?')}"))


def _identity(features: torch.Tensor) -> torch.Tensor:
    return features


def _store_as(encoder: Encoder, part: str) -> dict:
    """What the frozen function is, for frozen_store's key: the weights (sha256), mode, options and part."""
    return {"identity": encoder.identity(), "name": encoder.name, "mode": encoder.mode, "part": part,
            "class": type(encoder).__qualname__}


def _appended(cache: AugmentedCache, frozen, images: torch.Tensor, pad: int, generator: torch.Generator,
              progress: bool) -> AugmentedCache:
    """`cache` with `images` appended: each new frame gets as many shifted copies as the old ones have."""
    return cache.appended(cache_frozen(frozen, images, cache.copies, pad, generator, CACHE_BATCH, progress,
                                       "new frames"))


def _held_out(frozen, val_images: torch.Tensor, progress: bool, desc: str, store_as: dict):
    """Held-out frames cached once, unshifted; None when nothing is held out (--val-fraction 0)."""
    if not len(val_images):
        return None
    return cache_frozen(frozen, val_images, 0, 0, None, CACHE_BATCH, progress, desc, store_as)


def make_inputs(encoder: Encoder, train_images: torch.Tensor, val_images: torch.Tensor, pad: int, copies: int,
                generator: torch.Generator, progress: bool):
    if encoder.mode == "frozen":
        return CachedFeatures(encoder, train_images, val_images, pad, copies, generator, progress)
    split = trunk_split(encoder)
    if split is not None:
        return CachedTrunk(encoder, split, train_images, val_images, pad, copies, generator, progress)
    return FreshShiftImages(encoder, train_images, val_images, pad, generator)
