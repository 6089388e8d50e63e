"""Invariance metrics: same-state retrieval and cosine on features centred on the id gallery."""

import numpy as np
import pytest

from pvmbench.analysis.retrieval import centre_on, cosine_matrix, other_state_cosine, retrieval


def _states(n=12, d=32, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_a_small_shift_is_retrieved_and_unrelated_frames_are_at_chance():
    gallery = _states()
    near = retrieval(gallery, gallery + 0.1 * _states(seed=1), np.arange(12))
    assert near["top1"].all() and (near["same_state_cosine"] > 0.9).all()
    hits = [retrieval(gallery, _states(seed=s), np.arange(12))["top1"].mean() for s in range(3, 203)]
    assert np.mean(hits) == pytest.approx(1 / 12, abs=0.02)  # chance is 1 / states


def test_the_query_is_compared_with_its_own_state_row():
    gallery = _states()
    shuffled = np.roll(np.arange(12), 1)
    out = retrieval(gallery, gallery[shuffled], shuffled)
    assert out["top1"].all() and out["same_state_cosine"] == pytest.approx(np.ones(12))
    assert not retrieval(gallery, gallery[shuffled], np.arange(12))["top1"].any()


def test_features_are_centred_on_the_id_gallery():
    # Non-negative features with a large shared component: raw cosine of two different states is
    # near 1; centred on the gallery mean it is near 0.
    gallery = 50.0 + _states()
    out = retrieval(gallery, 50.0 + _states(seed=1), np.arange(12))
    raw = cosine_matrix(gallery, 50.0 + _states(seed=1))
    assert raw.min() > 0.99
    assert abs(out["same_state_cosine"].mean()) < 0.15
    # A global offset of the shifted frames (a shift of the mean) counts against the encoder...
    shifted = retrieval(gallery, gallery + 5.0, np.arange(12))["same_state_cosine"]
    assert shifted.mean() < 0.5
    # ...and the result does not depend on where the whole feature space sits.
    a = retrieval(gallery, gallery + _states(seed=3), np.arange(12))
    b = retrieval(gallery - 40.0, gallery - 40.0 + _states(seed=3), np.arange(12))
    np.testing.assert_allclose(a["same_state_cosine"], b["same_state_cosine"])


def test_centre_on_subtracts_the_reference_mean_from_everything():
    ref, other = _states(), _states(seed=1)
    c_ref, c_other = centre_on(ref, other)
    np.testing.assert_allclose(c_ref.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(c_other, other - ref.mean(axis=0))


def test_other_state_cosine_averages_within_appearance_groups_only():
    # Two groups of two states; within a group the states are identical up to a tiny difference.
    base = _states(n=2, d=16)
    gallery = np.concatenate([base[[0, 0]], base[[1, 1]]]) + 1e-6 * _states(n=4, d=16, seed=1)
    out = other_state_cosine(gallery, np.array([0, 0, 1, 1]))
    assert out == pytest.approx(np.ones(4), abs=1e-4)
    assert np.isnan(other_state_cosine(gallery, np.arange(4))).all()  # no other state shares the appearance
