"""Representation metrics: linear CKA (biased and debiased) and the leave-one-group-out cosine k-NN.

Each property test is paired with a known value a plausible wrong implementation misses: CKA's square
root, Euclidean neighbours, an uncorrected HSIC.
"""

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from pvmbench.analysis.cka import cka_permutation_null, linear_cka
from pvmbench.analysis.knn import knn_accuracy, knn_predictions


@pytest.fixture
def feats():
    return np.random.default_rng(0).normal(size=(60, 16))


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_of_identical_features_is_one(feats, debiased):
    assert linear_cka(feats, feats, debiased) == pytest.approx(1.0)


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_ignores_orthogonal_transforms_isotropic_scaling_and_offsets(feats, debiased):
    rotation = special_ortho_group.rvs(16, random_state=1)
    assert linear_cka(feats, 7.5 * feats @ rotation, debiased) == pytest.approx(1.0)
    assert linear_cka(feats, feats + 3.0, debiased) == pytest.approx(1.0)  # centring removes offsets


def _orthonormal_centred(n, d, seed=0):
    """(n, d) columns centred and orthonormal: X^T X = I, so the CKA of X and X[:, :m] is sqrt(m / d)."""
    x = np.random.default_rng(seed).normal(size=(n, d))
    x -= x.mean(axis=0)
    q, _ = np.linalg.qr(x)
    return q


def test_biased_cka_of_a_subspace_is_the_square_root_of_its_share():
    # ||Y^T X||^2 / (||X^T X|| ||Y^T Y||) = m / (sqrt(d) sqrt(m)) = sqrt(m / d): 0.5 for 4 of 16 columns.
    x = _orthonormal_centred(200, 16)
    assert linear_cka(x, x[:, :4], debiased=False) == pytest.approx(0.5, abs=1e-9)
    assert linear_cka(x, x[:, :9], debiased=False) == pytest.approx(0.75, abs=1e-9)


def test_debiased_cka_of_a_subspace_approaches_the_same_value_at_large_n():
    # The unbiased HSIC differs from the biased one by O(1/n) here; a square-rooted CKA would give 0.71.
    x = _orthonormal_centred(3000, 16)
    assert linear_cka(x, x[:, :4], debiased=True) == pytest.approx(0.5, abs=0.01)


def _kornblith_debiased(x, y):
    """Kornblith et al.'s reference code: center_gram(unbiased=True), then the cosine of the Grams."""
    def centre(g):
        g = g.copy()
        n = len(g)
        np.fill_diagonal(g, 0)
        means = g.sum(axis=0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
        g -= means[:, None]
        g -= means[None, :]
        np.fill_diagonal(g, 0)
        return g

    gx, gy = centre(x @ x.T), centre(y @ y.T)
    return np.sum(gx * gy) / (np.linalg.norm(gx) * np.linalg.norm(gy))


def test_debiased_cka_matches_the_reference_implementation():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 30))
    y = x[:, :10] @ rng.normal(size=(10, 50)) + rng.normal(size=(40, 50))
    assert linear_cka(x, y, debiased=True) == pytest.approx(_kornblith_debiased(x, y), rel=1e-9)


def test_unrelated_wide_features_fool_biased_cka_but_not_debiased():
    # n = 100 inputs, 500-d features: the biased estimator's floor is high; the debiased one's is 0.
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(100, 500)), rng.normal(size=(100, 500))
    assert linear_cka(x, y, debiased=False) > 0.7
    assert abs(linear_cka(x, y, debiased=True)) < 0.05
    assert linear_cka(y, x, debiased=True) == pytest.approx(linear_cka(x, y, debiased=True))


def test_shuffled_row_null_is_near_zero_for_debiased_and_high_for_biased(feats):
    other = feats @ np.random.default_rng(3).normal(size=(16, 16))  # perfectly related...
    assert linear_cka(feats, other) > 0.5
    null = cka_permutation_null(feats, other, reps=100)  # ...until the correspondence is shuffled
    assert abs(null.mean()) < 0.05 and null.max() < linear_cka(feats, other)
    assert cka_permutation_null(feats, other, reps=100, debiased=False).mean() > 0.1


def test_cka_rejects_mismatched_inputs(feats):
    with pytest.raises(ValueError, match="same n"):
        linear_cka(feats, feats[:10])


def _clusters(rng, classes=3, per_class=10):
    centres = rng.normal(size=(classes, 8)) * 10
    labels = np.repeat(np.arange(classes), per_class)
    return centres[labels] + rng.normal(size=(len(labels), 8)) * 0.1, labels


def test_knn_is_perfect_on_separable_clusters():
    features, labels = _clusters(np.random.default_rng(0))
    assert knn_accuracy(features, labels, k=5) == 1.0
    groups = np.arange(len(labels)) // 2  # pairs of "views" of one object
    assert knn_accuracy(features, labels, groups, k=5) == 1.0


def test_knn_is_cosine_not_euclidean():
    # Each class is a direction, 25 degrees from the next; norms span four orders of magnitude, so in
    # Euclidean distance a point's nearest neighbours are points of similar norm, of any class.
    rng = np.random.default_rng(0)
    angles = np.radians([0, 25, 50])
    labels = np.repeat(np.arange(3), 20)
    norms = 10 ** rng.uniform(-2, 2, 60)
    features = norms[:, None] * (np.stack([np.cos(angles), np.sin(angles)], axis=1)[labels]
                                 + 0.03 * rng.normal(size=(60, 2)))
    assert knn_accuracy(features, labels, k=5) == 1.0
    euclidean = np.linalg.norm(features[:, None] - features[None], axis=-1)
    np.fill_diagonal(euclidean, np.inf)
    votes = labels[np.argsort(euclidean, axis=1)[:, :5]]
    assert np.mean([np.bincount(v, minlength=3).argmax() for v in votes] == labels) < 0.8  # Euclidean fails


def test_knn_leaves_whole_groups_out():
    # Each class has one group only: leaving the group out leaves no neighbour of the right class.
    features, labels = _clusters(np.random.default_rng(0), classes=2, per_class=6)
    assert knn_accuracy(features, labels, groups=labels.copy(), k=3) == 0.0
    assert knn_accuracy(features, labels, k=3) == 1.0  # plain leave-one-out can use its own group


def test_knn_predictions_break_ties_by_the_nearest_neighbour():
    # Query 0's neighbours by cosine: 1 (class 2), 2 (class 1); k=2 ties 1:1, the nearest one wins,
    # not the smaller label.
    features = np.array([[1.0, 0.0], [1.0, 0.1], [1.0, 0.3], [-1.0, 0.0]])
    labels = np.array([0, 2, 1, 1])
    assert knn_predictions(features, labels, k=2)[0] == 2


def test_knn_is_near_chance_on_random_labels():
    rng = np.random.default_rng(3)
    accuracy = knn_accuracy(rng.normal(size=(400, 8)), rng.integers(0, 4, 400), k=5)
    assert 0.1 < accuracy < 0.4
