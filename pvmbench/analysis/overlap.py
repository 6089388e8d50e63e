"""Agreement between a saliency map and an object mask: Jaccard of the map's top pixels."""

from __future__ import annotations

import numpy as np


def top_fraction_mask(saliency: np.ndarray, fraction: float) -> np.ndarray:
    """bool mask of the `fraction` most salient pixels (ties at the cut-off broken by pixel order)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction}: must be in (0, 1]")
    flat = saliency.ravel()
    count = max(1, int(round(fraction * flat.size)))
    keep = np.zeros(flat.size, dtype=bool)
    keep[np.argsort(-flat, kind="stable")[:count]] = True
    return keep.reshape(saliency.shape)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|a & b| / |a | b| of two bool masks; 0 when both are empty."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} and {b.shape}")
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0
