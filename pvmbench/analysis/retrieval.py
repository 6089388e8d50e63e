"""Invariance metrics on centred features: same-state retrieval and cosine, and their references.

Features are centred on the mean of the id gallery (the id frames of every state) before any
cosine. Uncentred cosine runs high for everything when features share a large common component
(EfficientNet's are non-negative after ReLU6 and pooling), so two unrelated frames look alike.
The id mean is the training distribution's: a shift's global offset is left in, and counts against
the encoder.

  retrieval_top1   for each shifted frame, is its nearest id frame (cosine) the same state?
                   Chance is 1 / number of gallery states.
  same_state_cosine  cosine between a state's id frame and its shifted frame.
  other_state_cosine the reference beside it: cosine between id frames of different states that
                   share an appearance (other steps of the same seed).
"""

from __future__ import annotations

import numpy as np


def centre_on(reference: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """`reference` and each of `others` minus the mean row of `reference`."""
    mean = np.asarray(reference, dtype=np.float64).mean(axis=0)
    return [np.asarray(a, dtype=np.float64) - mean for a in (reference, *others)]


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) cosine similarities of the rows."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def retrieval(gallery: np.ndarray, queries: np.ndarray, query_state: np.ndarray) -> dict[str, np.ndarray]:
    """Per query: `top1` (bool, nearest gallery row is row query_state), `nearest` (its index) and
    `same_state_cosine`, with features centred on the gallery's mean. Gallery row s is state s."""
    query_state = np.asarray(query_state)
    g, q = centre_on(gallery, queries)
    sim = cosine_matrix(q, g)
    nearest = np.argmax(sim, axis=1)
    return {"top1": nearest == query_state, "nearest": nearest,
            "same_state_cosine": sim[np.arange(len(q)), query_state]}


def other_state_cosine(gallery: np.ndarray, same_appearance: np.ndarray) -> np.ndarray:
    """Per gallery state: the mean centred cosine to the other states of its appearance group
    (`same_appearance` labels each gallery row; groups of one state give NaN)."""
    (g,) = centre_on(gallery)
    sim = cosine_matrix(g, g)
    groups = np.asarray(same_appearance)
    pair = (groups[:, None] == groups[None, :]) & ~np.eye(len(g), dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.where(pair, sim, 0.0).sum(axis=1) / pair.sum(axis=1)
