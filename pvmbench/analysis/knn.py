"""k-NN probe with cosine similarity and leave-one-group-out neighbours.

Each image is classified by a majority vote of its k nearest images, excluding every image of its
own group (here: other views of the same object), so a near-duplicate view cannot give the answer
away and the score measures whether the class is what the features encode. Ties go to the class
of the nearest neighbour among the tied classes. Cosine, not Euclidean: feature norms vary with
contrast and exposure, and the direction is what a linear head reads.
"""

from __future__ import annotations

import numpy as np


def knn_predictions(features: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None,
                    k: int = 5) -> np.ndarray:
    """The predicted label of each input; per-input correctness is predictions == labels."""
    f = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    groups = np.arange(len(f)) if groups is None else np.asarray(groups)  # plain leave-one-out
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    sim = f @ f.T
    sim[groups[:, None] == groups[None, :]] = -np.inf
    if (~np.isinf(sim)).sum(axis=1).min() < k:
        raise ValueError(f"k={k}: some inputs have fewer than k neighbours outside their own group")
    order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    predicted = np.empty(len(f), dtype=labels.dtype)
    for i, neighbours in enumerate(order):
        votes = labels[neighbours]
        values, counts = np.unique(votes, return_counts=True)
        tied = set(values[counts == counts.max()])
        predicted[i] = next(v for v in votes if v in tied)  # votes are in nearest-first order
    return predicted


def knn_accuracy(features: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None, k: int = 5) -> float:
    return float(np.mean(knn_predictions(features, labels, groups, k) == np.asarray(labels)))
