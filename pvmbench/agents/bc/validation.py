"""The held-out loss, overall and per task phase (phases.py), on episodes training never saw (split.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

# A cap on held-out frames per evaluation: full fine-tuning forwards EfficientNet at 224 px on each, and a
# CPU does tens of those a second. An even stride keeps every phase's share of the episodes.
MAX_VAL_FRAMES = 1024


def val_subset(count: int, limit: int = MAX_VAL_FRAMES) -> np.ndarray:
    """Positions into the held-out frames to score: all of them, or `limit` spread evenly."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


@torch.no_grad()
def held_out_loss(predict: Callable[[torch.Tensor], torch.Tensor], labels: torch.Tensor, phase: np.ndarray,
                  names: Sequence[str], batch: int = 128) -> dict:
    """predict(positions) -> actions for those held-out frames. Returns the MSE over all frames and per
    phase (None for a phase with no held-out frame), with the frame count behind each."""
    errors = []
    for start in range(0, len(labels), batch):
        positions = torch.arange(start, min(start + batch, len(labels)))
        pred = predict(positions)
        errors.append(((pred - labels[positions].to(pred.device)) ** 2).mean(dim=1).cpu())
    per_frame = torch.cat(errors).numpy() if errors else np.zeros(0)
    by_phase = {str(name): (float(per_frame[phase == i].mean()) if np.any(phase == i) else None)
                for i, name in enumerate(names)}
    return {"loss": float(per_frame.mean()) if len(per_frame) else None, "by_phase": by_phase,
            "frames": int(len(per_frame)),
            "frames_by_phase": {str(name): int(np.sum(phase == i)) for i, name in enumerate(names)}}
