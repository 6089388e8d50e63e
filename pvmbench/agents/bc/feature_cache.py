"""Frozen computation done once per augmented frame, so that `frozen` and `partial` train fast on a CPU.

A frozen encoder (or a partial one's frozen trunk) maps a given frame to the same output every step, so
running it on every batch repeats work. Instead each training frame gets `copies` random shifts
(augment.py), the frozen part runs once on each, and training draws a random copy of each frame it
samples: DrQ's augmentation from a finite pool of shifts instead of a fresh one per step. The draws come
from the training seed's generator, so the pool differs between seeds as fresh shifts would.

Held-out frames are cached once, unshifted: the validation loss measures the policy, not augmentation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from tqdm import tqdm

from pvmbench.agents.bc import frozen_store
from pvmbench.agents.bc.augment import random_offsets, shift


class AugmentedCache:
    """The frozen output of `copies` shifted copies of each frame, held as chunks along the frame axis: a DAgger
    round appends a chunk instead of copying the whole cache into a bigger one. On Highway-v1 a frozen
    EfficientNet's block-10 map is 88 KB a frame and DAgger takes the cache past 80k frames (7 GB); with one
    tensor, every round briefly held the old cache and its copy at once, twice the memory the cache needs."""

    def __init__(self, values: torch.Tensor, offsets: torch.Tensor, more: tuple[torch.Tensor, ...] = ()):
        # values: (copies, frames, ...); more: later chunks of the same (copies, ..., per-frame shape)
        self.chunks = (values, *more)
        self.offsets = offsets  # (copies, all frames, 2): the (dy, dx) shift of each copy
        self._ends = torch.tensor([c.shape[1] for c in self.chunks]).cumsum(0)

    @property
    def copies(self) -> int:
        return self.chunks[0].shape[0]

    @property
    def frames(self) -> int:
        return int(self._ends[-1])

    @property
    def values(self) -> torch.Tensor:
        """All chunks as one (copies, frames, ...) tensor; a copy where there are several chunks."""
        return self.chunks[0] if len(self.chunks) == 1 else torch.cat(self.chunks, dim=1)

    def appended(self, more: AugmentedCache) -> AugmentedCache:
        """This cache with `more`'s frames after its own; neither's values are copied."""
        device = self.chunks[0].device
        return AugmentedCache(self.chunks[0], torch.cat([self.offsets, more.offsets], dim=1),
                              (*self.chunks[1:], *(c.to(device) for c in more.chunks)))

    def sample(self, frames: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One random copy of each of `frames` (cache row indices)."""
        first = self.chunks[0]
        copy = torch.randint(0, self.copies, (len(frames),), generator=generator).to(first.device)
        frames = frames.to(first.device)
        if len(self.chunks) == 1:
            return first[copy, frames]
        chunk = torch.searchsorted(self._ends.to(first.device), frames, right=True)
        out = torch.empty((len(frames), *first.shape[2:]), dtype=first.dtype, device=first.device)
        starts = [0, *self._ends[:-1].tolist()]
        for i in chunk.unique().tolist():
            rows = (chunk == i).nonzero().squeeze(1)
            out[rows] = self.chunks[i][copy[rows], frames[rows] - starts[i]]
        return out


@torch.no_grad()
def cache_frozen(frozen: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, copies: int, pad: int,
                 generator: torch.Generator | None, batch: int = 64, progress: bool = True,
                 desc: str = "cache", store_as: dict | None = None) -> AugmentedCache:
    """`frozen` (uint8 frames -> a tensor per frame) on `copies` shifted copies of every frame of `images`.

    copies 0 caches the frames unshifted, once (as for held-out frames). `store_as` (what `frozen` is: the
    encoder's identity, mode, part) keeps the outputs on disk (frozen_store.py): unshifted ones serve every
    seed of a recipe; shifted ones are keyed by their shifts too, so they serve a rerun of the same seed
    (more steps, other DAgger rounds) and never another seed's draws."""
    shifted = copies > 0
    copies = max(1, copies)
    n = len(images)
    # Drawn even when nothing is shifted or the values come from disk: the generator then stands where it
    # would after computing them, so what training draws next does not depend on an earlier seed's file.
    offsets = random_offsets(copies * n, pad if shifted else 0, generator).view(copies, n, 2)
    if store_as is not None and n:
        shifts = offsets if shifted and pad else None
        key = frozen_store.store_key(images, {**store_as, "copies": copies}, batch, shifts)
        stored = frozen_store.load(key)
        if stored is not None and stored.shape[:2] == (copies, n):
            if progress:
                tqdm.write(f"{desc}: {n} frames from {frozen_store.store_dir() / key}.pt", file=sys.stderr)
            return AugmentedCache(stored.to(images.device), offsets)
        cache = _compute(frozen, images, copies, bool(shifted and pad), offsets, batch, progress, desc)
        frozen_store.save(key, cache.values)
        return cache
    return _compute(frozen, images, copies, bool(shifted and pad), offsets, batch, progress, desc)


def _compute(frozen, images: torch.Tensor, copies: int, shift_frames: bool, offsets: torch.Tensor, batch: int,
             progress: bool, desc: str) -> AugmentedCache:
    n = len(images)
    values: torch.Tensor | None = None
    bar = tqdm(total=copies * n, desc=desc, unit="frame", dynamic_ncols=True, disable=not progress)
    for k in range(copies):
        for start in range(0, n, batch):
            frames = images[start:start + batch]
            if shift_frames:
                frames = shift(frames, offsets[k, start:start + batch])
            out = frozen(frames)
            if values is None:  # allocated once the output's shape is known: no list of chunks to concatenate
                values = torch.empty((copies, n, *out.shape[1:]), dtype=out.dtype, device=out.device)
            values[k, start:start + len(frames)] = out
            bar.update(len(frames))
    bar.close()
    return AugmentedCache(values, offsets)
