"""The analysis metrics: linear CKA, leave-one-group-out k-NN, Jaccard of top pixels, cosine."""

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from pvmbench.analysis.cka import linear_cka
from pvmbench.analysis.invariance import cosine_rows
from pvmbench.analysis.knn import knn_accuracy
from pvmbench.analysis.overlap import jaccard, top_fraction_mask


@pytest.fixture
def feats():
    return np.random.default_rng(0).normal(size=(60, 16))


def test_cka_of_identical_features_is_one(feats):
    assert linear_cka(feats, feats) == pytest.approx(1.0)


def test_cka_ignores_orthogonal_transforms_and_isotropic_scaling(feats):
    rotation = special_ortho_group.rvs(16, random_state=1)
    assert linear_cka(feats, 7.5 * feats @ rotation) == pytest.approx(1.0)
    assert linear_cka(feats, feats + 3.0) == pytest.approx(1.0)  # centring removes offsets


def test_cka_of_unrelated_features_is_low_and_symmetric(feats):
    other = np.random.default_rng(1).normal(size=(60, 8))
    value = linear_cka(feats, other)
    assert 0 <= value < 0.5
    assert linear_cka(other, feats) == pytest.approx(value)


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


def test_knn_leaves_whole_groups_out():
    # Each class has one group only: leaving the group out leaves no neighbour of the right class.
    features, labels = _clusters(np.random.default_rng(0), classes=2, per_class=6)
    assert knn_accuracy(features, labels, groups=labels.copy(), k=3) == 0.0
    assert knn_accuracy(features, labels, k=3) == 1.0  # plain leave-one-out can use its own group


def test_knn_is_near_chance_on_random_labels():
    rng = np.random.default_rng(3)
    accuracy = knn_accuracy(rng.normal(size=(400, 8)), rng.integers(0, 4, 400), k=5)
    assert 0.1 < accuracy < 0.4


def test_jaccard_of_known_masks():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    a[:2] = True  # 8 pixels
    b[1:3] = True  # 8 pixels, 4 shared
    assert jaccard(a, b) == pytest.approx(4 / 12)
    assert jaccard(a, a) == 1.0
    assert jaccard(a, ~a) == 0.0
    assert jaccard(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 0.0


def test_top_fraction_mask_keeps_the_most_salient_pixels():
    saliency = np.arange(100, dtype=float).reshape(10, 10)
    mask = top_fraction_mask(saliency, 0.1)
    assert mask.sum() == 10
    assert mask[9].all()  # the last row holds the 10 largest values


def test_cosine_of_a_vector_with_itself_is_one(feats):
    np.testing.assert_allclose(cosine_rows(feats, feats), 1.0)
    np.testing.assert_allclose(cosine_rows(feats, -2 * feats), -1.0)
