"""Linear CKA (Kornblith et al., 2019): similarity of two representations of the same inputs.

CKA(X, Y) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with K = X X^T, L = Y Y^T. It is 1 for identical
features and unchanged by orthogonal transforms and isotropic scaling of either side.

The plain (biased) HSIC estimator, tr(KHLH) with H the centring matrix, is large for unrelated
features when n is not much larger than the feature dimension: two random 1280-d representations of
296 images score about 0.8. The debiased form uses Song et al.'s (2012) unbiased HSIC estimator, whose
expectation for independent features is 0, so unrelated features score near 0 (it can be slightly
negative). The analyses report the debiased value as their CKA and the biased one beside it.
"""

from __future__ import annotations

import numpy as np


def gram(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected (n, d) features, got shape {x.shape}")
    return x @ x.T  # n x n: cheaper than d x d products when features are wide (1280-d, 4096-d)


def hsic(k: np.ndarray, lg: np.ndarray, debiased: bool) -> float:
    """HSIC of two n x n Gram matrices, up to a factor that cancels in CKA."""
    n = len(k)
    if not debiased:
        kc = k - k.mean(axis=0) - k.mean(axis=1)[:, None] + k.mean()  # H K H
        return float(np.sum(kc * lg))  # tr(HKH L) = tr(HKHL); the (n-1)^-2 factor cancels
    if n < 4:
        raise ValueError(f"debiased CKA needs n >= 4 inputs, got {n}")
    # Song et al. 2012, eq. 5: Gram matrices with zero diagonals.
    kt, lt = k - np.diag(np.diag(k)), lg - np.diag(np.diag(lg))
    ones_k, ones_l = kt.sum(axis=0), lt.sum(axis=0)
    value = (np.sum(kt * lt) + ones_k.sum() * ones_l.sum() / ((n - 1) * (n - 2))
             - 2.0 / (n - 2) * float(ones_k @ ones_l))
    return float(value / (n * (n - 3)))


def cka_from_grams(k: np.ndarray, lg: np.ndarray, debiased: bool = True) -> float:
    denom = hsic(k, k, debiased) * hsic(lg, lg, debiased)
    return float(hsic(k, lg, debiased) / np.sqrt(denom)) if denom > 0 else float("nan")


def linear_cka(x: np.ndarray, y: np.ndarray, debiased: bool = True) -> float:
    """x: (n, d1), y: (n, d2) features of the same n inputs, in the same order."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(f"expected (n, d) features of the same n >= 2 inputs, got {x.shape} and {y.shape}")
    return cka_from_grams(gram(x), gram(y), debiased)


def cka_permutation_null(x: np.ndarray, y: np.ndarray, reps: int = 200, debiased: bool = True,
                         seed: int = 0) -> np.ndarray:
    """CKA with y's rows shuffled, `reps` times: the value of features that share no correspondence."""
    k, lg = gram(x), gram(y)
    rng = np.random.default_rng(seed)
    out = np.empty(reps)
    for r in range(reps):
        p = rng.permutation(len(lg))
        out[r] = cka_from_grams(k, lg[np.ix_(p, p)], debiased)
    return out
