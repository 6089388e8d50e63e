"""Occlusion test: does hiding the target object change the output more than hiding a random patch of its size?

For each frame the object's pixels are painted with the frame's mean colour, and so are `patches`
copies of the same mask shape moved to random places that do not overlap the object's bounding box and
lie inside `allowed` (the part of the frame every encoder sees: a patch in a cropped-off border would
change nothing by construction). The change is ||output(occluded) - output(frame)||, output being a
policy's action (or an encoder's features). The object's change is ranked among the patches':
`percentile` is the share of patches that changed the output less (ties count half): 0.5 when the
object matters as much as a random patch of its shape, 1 when it matters more than every one.

Under the null that the object's placement is one more random placement, its rank among the R + 1 is
uniform, so the sum of ranks over frames has a known distribution; `uniform_rank_p` is the exact
one-sided p-value. Mean-colour filling paints a flat patch on both sides of the comparison; a patch on
bare table changes fewer pixel values than one on a coloured object, which favours the object, so a
percentile near 1 says the policy reacts to that content there, not that it recognises the object.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def random_offsets(mask: np.ndarray, allowed: tuple[int, int, int, int], count: int,
                   rng: np.random.Generator) -> np.ndarray:
    """(count, 2) row/column shifts of `mask` that keep its bounding box inside `allowed`
    (top, bottom, left, right; exclusive ends) and off its own bounding box; fewer if fewer exist."""
    rows, cols = np.nonzero(mask)
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    top, bottom, left, right = allowed
    dy = np.arange(top - r0, bottom - r1 + 1)
    dx = np.arange(left - c0, right - c1 + 1)
    if not len(dy) or not len(dx):
        return np.zeros((0, 2), dtype=int)
    grid = np.stack(np.meshgrid(dy, dx, indexing="ij"), axis=-1).reshape(-1, 2)
    # A shifted box overlaps the original unless it clears it along at least one axis.
    clear = (np.abs(grid[:, 0]) >= r1 - r0) | (np.abs(grid[:, 1]) >= c1 - c0)
    grid = grid[clear]
    return grid[rng.choice(len(grid), size=min(count, len(grid)), replace=False)]


def occluded(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[mask] = image.reshape(-1, image.shape[-1]).mean(axis=0).round().astype(image.dtype)
    return out


def occlusion_effects(output: Callable[..., np.ndarray], images: np.ndarray, masks: np.ndarray,
                      offsets: list[np.ndarray], states: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(change from hiding the object (N,), changes from hiding each shifted copy (N, R), NaN-padded).
    With `states` (N, S), `output` also gets frame i's state, repeated for each of its variants: only the
    image is occluded."""
    width = max((len(o) for o in offsets), default=0)
    delta_object, delta_random = np.empty(len(images)), np.full((len(images), width), np.nan)
    for i, (image, mask, shifts) in enumerate(zip(images, masks, offsets, strict=True)):
        batch = [image, occluded(image, mask)] + [occluded(image, _shifted(mask, s)) for s in shifts]
        batch = np.stack(batch)
        out = output(batch) if states is None else output(batch, np.repeat(states[i][None], len(batch), axis=0))
        out = np.asarray(out, dtype=np.float64)
        change = np.linalg.norm(out[1:] - out[0], axis=1)
        delta_object[i], delta_random[i, :len(shifts)] = change[0], change[1:]
    return delta_object, delta_random


def _shifted(mask: np.ndarray, shift: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    out = np.zeros_like(mask)
    out[rows + shift[0], cols + shift[1]] = True
    return out


def occlusion_percentile(delta_object: np.ndarray, delta_random: np.ndarray) -> np.ndarray:
    """Per frame: share of random patches whose change is below the object's, ties counting half."""
    d = delta_object[:, None]
    known = ~np.isnan(delta_random)
    below = np.sum((delta_random < d) & known, axis=1) + 0.5 * np.sum((delta_random == d) & known, axis=1)
    with np.errstate(invalid="ignore"):
        return below / known.sum(axis=1)


def uniform_rank_p(percentiles: np.ndarray, patches) -> float:
    """P(sum of ranks >= observed) when frame i's object rank is uniform on 0..patches[i] (exact);
    `patches` is one count for all frames or one per frame."""
    pct = np.asarray(percentiles, dtype=np.float64)
    counts = np.broadcast_to(np.asarray(patches, dtype=int), pct.shape)
    pmf = np.ones(1)
    for r in counts:
        # Ranks in half steps (ties count half), so the sum lives on a grid of 0.5.
        uniform = np.zeros(2 * r + 1)
        uniform[::2] = 1.0 / (r + 1)
        pmf = np.convolve(pmf, uniform)
    observed = int(round(2 * float(np.sum(pct * counts))))
    return float(min(1.0, pmf[observed:].sum()))
