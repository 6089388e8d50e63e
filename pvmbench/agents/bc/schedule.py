"""The learning-rate schedule: linear warm-up, then cosine decay to zero.

Warm-up keeps the first AdamW steps, whose second-moment estimates are still poor, from throwing a
pretrained encoder's weights far from where they started; the cosine tail lets the last steps settle
instead of ending on the noise of a full-size step. Every parameter group is scaled by the same factor,
so the 10:1 ratio between the head and the pretrained layers holds throughout.
"""

from __future__ import annotations

import math

import torch

WARMUP_FRACTION = 0.05
MAX_WARMUP_STEPS = 500


def warmup_steps(total: int) -> int:
    return min(MAX_WARMUP_STEPS, max(1, round(WARMUP_FRACTION * total)))


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Multiplier of the base rate for optimiser step `step` (0-based) of `total`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def warmup_cosine(optimizer: torch.optim.Optimizer, total: int) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = warmup_steps(total)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, total, warmup))
