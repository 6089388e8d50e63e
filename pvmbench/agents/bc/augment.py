"""DrQ random shift (Kostrikov, Yarats and Fergus, 2020): every training frame is moved by a random whole
number of pixels, up to `pad` in each direction, with the edge pixels repeated into the gap. It is the
augmentation that makes image-based control learn from few frames: the policy cannot key on exact pixel
positions, and one demonstration frame becomes (2 * pad + 1) ** 2 slightly different ones.

It runs on the raw uint8 observation, before the encoder's own preprocessing, so every encoder sees the
same augmentation whatever its input size. DrQ pads 84 px frames by 4; pvmbench's 96 px frames too.
"""

from __future__ import annotations

import torch

DEFAULT_PAD = 4


def random_offsets(batch: int, pad: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(batch, 2) integer (dy, dx), each uniform in [-pad, pad], drawn on the CPU (reproducible anywhere)."""
    return torch.randint(-pad, pad + 1, (batch, 2), generator=generator)


def shift(images: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """uint8 (B, H, W, C) -> the same shape and dtype, frame b showing what was at (y + dy_b, x + dx_b).

    Equal to padding with the edge pixels and cropping at (pad + dy, pad + dx), as DrQ does, but a single
    gather: no padded copy, and no float conversion of the frame.
    """
    if images.ndim != 4:
        raise ValueError(f"expected images (B, H, W, C), got shape {tuple(images.shape)}")
    b, h, w, _ = images.shape
    offsets = offsets.to(images.device)
    rows = (torch.arange(h, device=images.device) + offsets[:, :1]).clamp_(0, h - 1)  # (B, H)
    cols = (torch.arange(w, device=images.device) + offsets[:, 1:]).clamp_(0, w - 1)  # (B, W)
    batch = torch.arange(b, device=images.device)[:, None, None]
    return images[batch, rows[:, :, None], cols[:, None, :]]


def random_shift(images: torch.Tensor, pad: int = DEFAULT_PAD,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(shifted images, the (B, 2) offsets used); pad 0 returns the frames unchanged."""
    offsets = random_offsets(len(images), pad, generator)
    if pad == 0:
        return images, offsets
    return shift(images, offsets), offsets
