"""pvmbench.benchmark.statistics against values worked by hand (the arithmetic is in the comments)."""

import math

import numpy as np
import pytest
from scipy.stats import trim_mean

from pvmbench.benchmark.statistics import (
    breaking_point_severity,
    drop_percent,
    iqm,
    mean,
    normalised_score,
    permutation_test,
    stratified_bootstrap_ci,
    summarise,
)

# Table-top return bounds: a random policy scores 7.92, the best possible return is 202.
R_RANDOM, R_MAX = 7.92, 202.0


# --- normalised score --------------------------------------------------------------------------------


def test_normalised_score_endpoints_and_midpoint():
    assert normalised_score(R_RANDOM, R_RANDOM, R_MAX) == 0.0  # (7.92 - 7.92) / 194.08 = 0
    assert normalised_score(R_MAX, R_RANDOM, R_MAX) == 1.0  # (202 - 7.92) / (202 - 7.92) = 1
    # (104.96 - 7.92) / (202 - 7.92) = 97.04 / 194.08 = 0.5 exactly on paper; in binary floating point
    # 104.96 and 7.92 are not representable, so the quotient is 0.5 to within one ulp.
    assert normalised_score(104.96, R_RANDOM, R_MAX) == pytest.approx(0.5, abs=1e-15)


def test_normalised_score_types():
    assert isinstance(normalised_score(50.0, 0.0, 100.0), float)
    # (0 - 10) / 40 = -0.25 (worse than random is negative), (30 - 10) / 40 = 0.5, (60 - 10) / 40 = 1.25
    out = normalised_score([0.0, 30.0, 60.0], 10.0, 50.0)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [-0.25, 0.5, 1.25])


@pytest.mark.parametrize("r_max", [7.92, 5.0, float("nan")])
def test_normalised_score_rejects_bad_bounds(r_max):
    with pytest.raises(ValueError):
        normalised_score(10.0, R_RANDOM, r_max)


# --- mean and IQM ------------------------------------------------------------------------------------


def test_iqm_of_one_to_eight():
    x = np.arange(1, 9)  # n = 8: int(0.25 * 8) = 2 dropped from each end -> 3, 4, 5, 6
    assert iqm(x) == (3 + 4 + 5 + 6) / 4 == 4.5
    assert trim_mean(x, 0.25) == 4.5


def test_iqm_trims_whole_elements_when_a_quarter_is_fractional():
    # n = 10: a quarter is 2.5 scores, but rliable/scipy trim int(0.25 * 10) = 2 from each end.
    x = np.array([100, 0, 9, 1, 1000, 3, 0, 5, 2, 4])  # sorted: 0 0 | 1 2 3 4 5 9 | 100 1000
    # kept: 1 2 3 4 5 9 -> 24 / 6 = 4.0. (Fractional trimming would weigh 1 and 9 by one half:
    # (0.5 + 2 + 3 + 4 + 5 + 4.5) / 5 = 3.8, so this case tells the two apart.)
    assert iqm(x) == 4.0
    assert trim_mean(x, 0.25) == 4.0
    # n = 7: int(1.75) = 1 from each end; sorted 1 2 3 4 5 6 70 -> 2 3 4 5 6 -> 20 / 5 = 4.0
    assert iqm([70, 1, 2, 3, 4, 5, 6]) == 4.0


def test_iqm_flattens_runs_by_tasks_and_reduces_along_axis():
    x = np.arange(1, 9).reshape(2, 4)  # 2 runs x 4 tasks, flattened -> the 1..8 case above
    assert iqm(x) == 4.5
    # along axis 1 each row has n = 4, int(1) = 1 trimmed: [2, 3] -> 2.5 and [6, 7] -> 6.5
    np.testing.assert_array_equal(iqm(x, axis=1), [2.5, 6.5])
    assert mean(x) == 36 / 8 == 4.5


@pytest.mark.parametrize("fn", [mean, iqm])
def test_statistics_of_empty_raise(fn):
    with pytest.raises(ValueError, match="empty"):
        fn([])


# --- bootstrap CIs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("statistic", [mean, iqm])
def test_ci_of_constant_is_the_constant(statistic):
    # 0.75 is exact in binary, and every resample is ten 0.75s, whose mean is exactly 0.75.
    assert stratified_bootstrap_ci(np.full(10, 0.75), statistic) == (0.75, 0.75)
    lo, hi = stratified_bootstrap_ci(np.full(10, 0.3), statistic)  # 0.3 sums with rounding error
    assert lo == pytest.approx(0.3) and hi == pytest.approx(0.3)


@pytest.mark.parametrize("statistic", [mean, iqm])
def test_single_episode_gives_degenerate_ci(statistic):
    assert stratified_bootstrap_ci(np.array([0.3]), statistic) == (0.3, 0.3)
    assert stratified_bootstrap_ci(np.array([0.3]), statistic, strata=np.array([7])) == (0.3, 0.3)


def test_empty_scores_raise_clearly():
    with pytest.raises(ValueError, match="empty"):
        stratified_bootstrap_ci(np.array([]))
    with pytest.raises(ValueError, match="empty"):
        summarise([])


def test_ci_contains_sample_mean_and_narrows_with_more_data():
    pattern = np.array([0.1, 0.9, 0.4, 0.6, 0.2, 0.8, 0.5, 0.3])  # mean 3.8 / 8 = 0.475
    small = stratified_bootstrap_ci(pattern)
    large = stratified_bootstrap_ci(np.tile(pattern, 16))  # same mean, 16x the data
    for lo, hi in (small, large):
        assert lo < 0.475 < hi
    # the standard error scales as 1/sqrt(n): 16x the data should give about a quarter of the width
    ratio = (large[1] - large[0]) / (small[1] - small[0])
    assert 0.15 < ratio < 0.4


def test_stratified_bootstrap_never_mixes_strata():
    scores = np.array([0.0, 0.0, 0.0, 10.0])
    strata = np.array(["seed0", "seed0", "seed0", "seed1"])
    # Within seed0 every resample is 0, 0, 0; within seed1 it is 10 -> every mean is 10 / 4 = 2.5.
    assert stratified_bootstrap_ci(scores, mean, strata=strata) == (2.5, 2.5)
    # Unstratified, the mean is 2.5 * k with k ~ Binomial(4, 1/4) copies of the 10:
    # P(k = 0) = (3/4)^4 = 0.316 > 2.5%, so the low end is 0; P(k >= 3) = (12 + 1) / 256 = 5.1% > 2.5%
    # but P(k = 4) = 1/256 = 0.4% < 2.5%, so the high end is 2.5 * 3 = 7.5.
    assert stratified_bootstrap_ci(scores, mean) == (0.0, 7.5)


def test_stratified_resamples_keep_stratum_sizes():
    # Stratum a = {1, 3} (2 episodes), b = {100} (1 episode): a resample's sum is 100 + two draws from
    # {1, 3}, so the mean is in {(100 + 2) / 3, (100 + 4) / 3, (100 + 6) / 3} = {34, 34.67, 35.33}.
    scores, strata = np.array([1.0, 100.0, 3.0]), np.array([0, 1, 0])
    lo, hi = stratified_bootstrap_ci(scores, mean, strata=strata, confidence=0.99)
    assert lo == pytest.approx(102 / 3) and hi == pytest.approx(106 / 3)


def test_vectorised_and_row_by_row_statistics_agree():
    x = np.random.default_rng(3).normal(size=40)
    strata = np.arange(40) % 4
    fast = stratified_bootstrap_ci(x, iqm, strata=strata, reps=500, random_state=11)
    slow = stratified_bootstrap_ci(x, lambda v: iqm(v), strata=strata, reps=500, random_state=11)
    assert fast == slow


def test_bootstrap_determinism_and_no_global_rng():
    x = np.random.default_rng(0).uniform(size=30)
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    a = stratified_bootstrap_ci(x, random_state=5)
    np.random.seed(999)  # a different global seed must not matter
    b = stratified_bootstrap_ci(x, random_state=5)
    assert a == b
    assert stratified_bootstrap_ci(x, random_state=6) != a
    assert stratified_bootstrap_ci(x, random_state=np.random.default_rng(5)) == a
    np.random.seed(123)
    stratified_bootstrap_ci(x, random_state=5)
    assert np.array_equal(np.random.get_state()[1], state)  # global RNG untouched
    with pytest.raises(TypeError):
        stratified_bootstrap_ci(x, random_state=None)


def test_bootstrap_input_errors():
    with pytest.raises(ValueError, match="one label per score"):
        stratified_bootstrap_ci(np.ones(4), strata=np.array([0, 1]))
    with pytest.raises(ValueError, match="1-D"):
        stratified_bootstrap_ci(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        stratified_bootstrap_ci(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="confidence"):
        stratified_bootstrap_ci(np.ones(4), confidence=1.0)


def test_summarise():
    x = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 9.0, 100.0, 1000.0])
    s = summarise(x, strata=np.arange(10) % 2, reps=1000, random_state=1)
    assert set(s) == {"n", "mean", "mean_ci_low", "mean_ci_high", "iqm", "iqm_ci_low", "iqm_ci_high"}
    assert s["n"] == 10
    assert s["mean"] == 1124 / 10  # 0 + 0 + 1 + 2 + 3 + 4 + 5 + 9 + 100 + 1000 = 1124
    assert s["iqm"] == 4.0  # the n = 10 case worked above
    assert s["mean_ci_low"] <= s["mean"] <= s["mean_ci_high"]
    assert s["iqm_ci_low"] <= s["iqm"] <= s["iqm_ci_high"]
    assert s["iqm_ci_high"] < s["mean_ci_high"]  # the IQM is robust to the 1000 outlier
    assert summarise(x, strata=np.arange(10) % 2, reps=1000, random_state=1) == s


# --- drop % and breaking point -----------------------------------------------------------------------


def test_drop_percent():
    assert drop_percent(0.8, 0.2) == pytest.approx(75.0)  # 100 * (1 - 0.2 / 0.8) = 100 * 0.75
    assert drop_percent(0.5, -0.03) == pytest.approx(106.0)  # 100 * (1 + 0.06) = 106 (> 100)
    assert drop_percent(0.5, 0.5) == 0.0
    assert math.isnan(drop_percent(0.0, 0.3))
    assert math.isnan(drop_percent(-0.1, 0.3))


def test_breaking_point_severity():
    sev, scores = [0.0, 0.25, 0.5, 0.75, 1.0], [0.8, 0.7, 0.5, 0.3, 0.1]
    # half of the ID score 0.8 is 0.4; 0.5 at severity 0.5 is not below it, 0.3 at 0.75 is first
    assert breaking_point_severity(sev, scores, 0.8) == 0.75
    assert breaking_point_severity(sev[::-1], scores[::-1], 0.8) == 0.75  # unsorted input
    assert breaking_point_severity([1.0, 0.0, 0.5], [0.1, 0.8, 0.5], 0.8) == 1.0  # 0.5 is not < 0.4
    assert breaking_point_severity(sev, [0.8, 0.7, 0.6, 0.5, 0.41], 0.8) is None  # never below 0.4
    assert breaking_point_severity(sev, [0.1] * 5, 0.8) == 0.0  # broken already at the lowest
    assert math.isnan(breaking_point_severity(sev, scores, 0.0))
    with pytest.raises(ValueError, match="same length"):
        breaking_point_severity(sev, scores[:3], 0.8)


# --- permutation test --------------------------------------------------------------------------------


def test_permutation_test_detects_clearly_lower_b():
    rng = np.random.default_rng(0)
    a, b = 0.8 + 0.05 * rng.standard_normal(20), 0.2 + 0.05 * rng.standard_normal(20)
    p = permutation_test(a, b)
    assert p < 0.01
    assert p >= 1 / 10001  # the add-one estimate is never 0
    assert permutation_test(a, b, alternative="two-sided") < 0.01
    assert permutation_test(b, a) > 0.99  # b higher than a: "less" is not supported


def test_permutation_test_identical_distributions():
    a = np.random.default_rng(1).uniform(size=30)
    # identical samples: observed difference 0, about half the permutations are <= 0
    assert permutation_test(a, a.copy()) > 0.2
    assert permutation_test(a, a[::-1].copy(), alternative="two-sided") > 0.2
    b = np.random.default_rng(2).uniform(size=30)  # another draw from the same distribution
    assert permutation_test(a, b, alternative="two-sided") > 0.2


def test_permutation_test_determinism_and_errors():
    a, b = [0.5, 0.6, 0.7, 0.4], [0.45, 0.5, 0.55, 0.35]
    assert permutation_test(a, b, reps=2000, random_state=4) == permutation_test(
        a, b, reps=2000, random_state=4
    )
    with pytest.raises(ValueError, match="alternative"):
        permutation_test(a, b, alternative="bigger")
    with pytest.raises(ValueError, match="empty"):
        permutation_test([], b)


def test_drop_ci_brackets_the_drop_and_narrows_with_more_episodes():
    from pvmbench.benchmark.statistics import drop_percent_ci

    rng = np.random.default_rng(3)
    few = drop_percent_ci(rng.normal(0.5, 0.2, 20), rng.normal(0.1, 0.2, 20), reps=1000)
    many = drop_percent_ci(rng.normal(0.5, 0.2, 2000), rng.normal(0.1, 0.2, 2000), reps=1000)
    for point, lo, hi in (few, many):
        assert lo <= point <= hi
    assert 75 < many[1] < 80 < many[2] < 85  # true drop 100 * (1 - 0.1 / 0.5) = 80
    assert many[2] - many[1] < few[2] - few[1]


def test_drop_ci_is_undefined_when_the_id_score_is_not_reliably_positive():
    from pvmbench.benchmark.statistics import drop_percent_ci

    rng = np.random.default_rng(0)
    point, lo, hi = drop_percent_ci(rng.normal(0.0, 0.3, 10), rng.normal(0.0, 0.3, 10), reps=500)
    assert np.isnan(lo) and np.isnan(hi)


def test_probability_of_improvement_counts_wins_and_half_ties():
    from pvmbench.benchmark.statistics import probability_of_improvement, probability_of_improvement_ci

    assert probability_of_improvement([1.0, 2.0, 3.0], [0.0, 2.0, 4.0]) == 0.5  # (1 + 1.5 + 2) / 9
    assert probability_of_improvement([5.0, 6.0], [1.0, 2.0]) == 1.0
    assert probability_of_improvement([1.0, 2.0], [5.0, 6.0]) == 0.0
    p, lo, hi = probability_of_improvement_ci(np.arange(30.0) + 3, np.arange(30.0), reps=300)
    assert lo < p < hi and 0.5 < p < 0.7
