"""Intervals and p-values of the analyses against values worked by hand."""

import numpy as np
import pytest

from pvmbench.analysis.stats import add_one_p, cluster_bootstrap_ci, jackknife_ci


def test_bootstrap_ci_of_a_mean_has_the_textbook_width():
    x = np.random.default_rng(0).normal(size=400)
    mean, low, high = cluster_bootstrap_ci(x)
    assert mean == pytest.approx(x.mean())
    # 95% normal interval: +- 1.96 s / sqrt(n) = +- 0.098 for s = 1, n = 400.
    assert high - low == pytest.approx(2 * 1.96 * x.std() / 20, rel=0.1)
    assert low < mean < high


def test_bootstrap_resamples_clusters_not_items():
    # 10 objects x 50 identical views: 10 independent values, not 500. Item resampling would be ~7x narrower.
    values = np.repeat(np.random.default_rng(1).normal(size=10), 50)
    clusters = np.repeat(np.arange(10), 50)
    _, low, high = cluster_bootstrap_ci(values, clusters)
    _, item_low, item_high = cluster_bootstrap_ci(values)
    expected = 2 * 1.96 * values[::50].std() / np.sqrt(10)
    assert high - low == pytest.approx(expected, rel=0.25)
    assert (high - low) > 4 * (item_high - item_low)


def test_bootstrap_weighs_unequal_clusters_by_their_items():
    # One cluster of 9 ones and one of a single zero: the mean is 0.9, not the mean of cluster means.
    mean, low, high = cluster_bootstrap_ci([1.0] * 9 + [0.0], [0] * 9 + [1])
    assert mean == pytest.approx(0.9)
    assert low == pytest.approx(0.0) and high == pytest.approx(1.0)  # resamples of two clusters: 0, 0.9 or 1
    with pytest.raises(ValueError, match="finite"):
        cluster_bootstrap_ci([1.0, np.nan])


def test_jackknife_of_a_mean_gives_the_standard_error():
    # For the mean, the delete-one jackknife s.e. is exactly s / sqrt(n) (s with n - 1).
    x = np.random.default_rng(2).normal(size=30)
    value, low, high = jackknife_ci(lambda keep: x[keep].mean(), np.arange(30))
    se = x.std(ddof=1) / np.sqrt(30)
    assert value == pytest.approx(x.mean())
    assert (high - low) / 2 == pytest.approx(1.959964 * se, rel=1e-6)


def test_jackknife_leaves_out_whole_clusters():
    x = np.repeat(np.random.default_rng(3).normal(size=8), 5)
    clusters = np.repeat(np.arange(8), 5)
    _, low, high = jackknife_ci(lambda keep: x[keep].mean(), clusters)
    se = x[::5].std(ddof=1) / np.sqrt(8)  # 8 independent values
    assert (high - low) / 2 == pytest.approx(1.959964 * se, rel=1e-6)


def test_add_one_p_counts_ties_and_is_never_zero():
    assert add_one_p(5.0, np.array([1.0, 2.0, 3.0])) == pytest.approx(1 / 4)
    assert add_one_p(2.0, np.array([1.0, 2.0, 3.0])) == pytest.approx(3 / 4)  # 2 and 3 are >= 2
    assert add_one_p(0.0, np.array([1.0, 2.0, 3.0])) == 1.0
