"""Linear CKA (Kornblith et al., 2019): similarity of two representations of the same inputs.

CKA(X, Y) = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F), with Xc, Yc column-centred. It is 1 for
identical features and unchanged by orthogonal transforms and isotropic scaling of either side, so
it compares what two encoders represent even when their feature axes differ.
"""

from __future__ import annotations

import numpy as np


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """x: (n, d1), y: (n, d2) features of the same n inputs, in the same order."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(f"expected (n, d) features of the same n >= 2 inputs, got {x.shape} and {y.shape}")
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    # Gram form: n x n products, cheaper than d x d ones when features are wide (1280-d, 4096-d).
    gx, gy = x @ x.T, y @ y.T
    denom = np.linalg.norm(gx) * np.linalg.norm(gy)
    return float(np.sum(gx * gy) / denom) if denom > 0 else float("nan")
