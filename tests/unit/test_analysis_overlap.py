"""Saliency-mask scores: object precision (ceiling 1, chance = object share), its shuffled-mask null,
the grid ceiling, and the occlusion test's percentile and exact p-value."""

import numpy as np
import pytest

from pvmbench.analysis.occlusion import (
    occluded,
    occlusion_effects,
    occlusion_percentile,
    random_offsets,
    uniform_rank_p,
)
from pvmbench.analysis.overlap import object_precision, precision_matrix, shuffled_mask_null
from pvmbench.analysis.saliency import to_frame, to_grid


def _square(size, top, left, side):
    m = np.zeros((size, size), bool)
    m[top:top + side, left:left + side] = True
    return m


def test_object_precision_is_one_for_the_mask_and_chance_for_a_flat_map():
    mask = _square(10, 2, 3, 3)  # 9 of 100 pixels
    assert object_precision(mask.astype(float), mask) == 1.0
    assert object_precision(np.zeros((10, 10)), mask) == pytest.approx(0.09)  # all tied: chance
    assert object_precision(np.ones((10, 10)), mask) == pytest.approx(0.09)
    assert object_precision(1.0 - mask, mask) == 0.0
    assert np.isnan(object_precision(np.ones((10, 10)), np.zeros((10, 10), bool)))


def test_object_precision_shares_tied_places_in_expectation():
    # K = 4 object pixels. Two object pixels are the top; the next value, 0.5, is shared by 4 pixels of
    # which 2 are on the object, for the 2 places left: expected hits 2 + 2 * 2/4 = 3, precision 3/4.
    mask = np.zeros(16, bool)
    mask[[0, 1, 2, 3]] = True
    saliency = np.zeros(16)
    saliency[[0, 1]] = 1.0
    saliency[[2, 3, 8, 9]] = 0.5
    assert object_precision(saliency, mask) == pytest.approx(0.75)
    # Pixel order must not matter: the same map with the tied pixels listed first scores the same.
    order = np.array([8, 9, 2, 3, 0, 1, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15])
    assert object_precision(saliency[order], mask[order]) == pytest.approx(0.75)


def test_shuffled_mask_null_uses_other_frames_masks_within_a_stratum():
    # Maps equal to their masks: observed 1. Masks are disjoint within a stratum, so another frame's
    # mask scores 0: the null is 0, and only re-pairings that keep every frame's own mask reach 1.
    masks = np.stack([_square(12, 0, 3 * i, 3) for i in range(4)] * 2)
    scores = precision_matrix(masks.astype(float), masks)
    strata = np.repeat([0, 1], 4)
    out = shuffled_mask_null(scores, strata, reps=500)
    assert out["observed"] == 1.0 and out["null"] == 0.0
    assert out["p"] < 0.01
    # A map that ignores where the object is scores the same with any mask: p is large.
    flat = shuffled_mask_null(precision_matrix(np.ones((8, 12, 12)), masks), strata, reps=500)
    assert flat["observed"] == pytest.approx(flat["null"]) and flat["p"] > 0.5


class _NoCrop:  # like the cnn: the whole frame is squashed to the input
    input_size = 64


def test_grid_ceiling_is_one_for_cell_aligned_objects_and_lower_for_small_ones():
    aligned = _square(16, 4, 4, 4)[None]  # exactly one cell of a 4 x 4 grid
    oracle = to_frame(to_grid(aligned, _NoCrop, (4, 4)), _NoCrop, 16)
    assert object_precision(oracle[0], aligned[0]) == 1.0
    small = _square(16, 4, 4, 1)[None]  # one pixel at a cell's corner
    oracle = to_frame(to_grid(small, _NoCrop, (4, 4)), _NoCrop, 16)
    assert object_precision(oracle[0], small[0]) < 0.5


def test_random_offsets_stay_inside_the_allowed_box_and_off_the_object():
    mask = _square(20, 8, 8, 3)
    offsets = random_offsets(mask, (2, 18, 2, 18), 50, np.random.default_rng(0))
    assert len(offsets) == 50
    for dy, dx in offsets:
        rows, cols = np.nonzero(mask)
        assert rows.min() + dy >= 2 and rows.max() + dy < 18 and cols.min() + dx >= 2 and cols.max() + dx < 18
        assert abs(dy) >= 3 or abs(dx) >= 3  # bounding boxes do not overlap
    assert len(random_offsets(mask, (8, 11, 8, 11), 5, np.random.default_rng(0))) == 0  # no room


def test_occlusion_paints_the_frames_mean_colour():
    image = np.zeros((4, 4, 3), np.uint8)
    image[0] = 200  # mean 50
    out = occluded(image, _square(4, 2, 2, 2))
    assert (out[2:, 2:] == 50).all() and (out[:2] == image[:2]).all()


def test_an_output_that_reads_only_the_object_ranks_it_above_every_patch():
    images = np.random.default_rng(1).integers(0, 255, size=(3, 20, 20, 3), dtype=np.uint8)
    masks = np.stack([_square(20, 8, 8, 3)] * 3)

    def reads_object(batch):
        return batch[:, 8:11, 8:11].reshape(len(batch), -1).astype(float)

    rng = np.random.default_rng(0)
    offsets = [random_offsets(m, (0, 20, 0, 20), 8, rng) for m in masks]
    d_obj, d_rand = occlusion_effects(reads_object, images, masks, offsets)
    assert (d_obj > 0).all() and (d_rand == 0).all()
    assert occlusion_percentile(d_obj, d_rand) == pytest.approx(np.ones(3))
    # An output blind to the frame changes by 0 everywhere: ties count half, the percentile is 0.5.
    d_obj, d_rand = occlusion_effects(lambda b: np.zeros((len(b), 2)), images, masks, offsets)
    assert occlusion_percentile(d_obj, d_rand) == pytest.approx(np.full(3, 0.5))


def test_each_frame_is_occluded_under_its_own_state():
    # A policy that reads the robot state (TableTopPick-v1) is asked about frame i with frame i's state:
    # output = state x mean pixel, so frame 1 (state 3) must change three times as much as frame 0 (state 1).
    image = np.random.default_rng(2).integers(0, 255, size=(20, 20, 3), dtype=np.uint8)
    images, masks = np.stack([image, image]), np.stack([_square(20, 8, 8, 3)] * 2)
    states = np.array([[1.0], [3.0]], np.float32)

    def state_times_brightness(batch, batch_states):
        assert len(batch_states) == len(batch)
        return batch.reshape(len(batch), -1).mean(axis=1, keepdims=True) * batch_states

    offsets = [np.zeros((0, 2), int)] * 2
    d_obj, _ = occlusion_effects(state_times_brightness, images, masks, offsets, states)
    assert d_obj[0] > 0 and d_obj[1] == pytest.approx(3 * d_obj[0])


def test_uniform_rank_p_is_exact():
    assert uniform_rank_p([1.0], 3) == pytest.approx(1 / 4)  # top of 4 equally likely ranks
    assert uniform_rank_p([1.0, 1.0], 1) == pytest.approx(1 / 4)  # both frames top of 2
    assert uniform_rank_p([0.0, 0.0], 4) == pytest.approx(1.0)
    # Sum of two ranks uniform on 0..2 is >= 3 with probability 3/9 (pairs (1,2), (2,1), (2,2)).
    assert uniform_rank_p([0.5, 1.0], 2) == pytest.approx(3 / 9)
    # Frames with different patch counts: ranks 3 of 0..3 and 1 of 0..1, p = 1/4 * 1/2.
    assert uniform_rank_p([1.0, 1.0], [3, 1]) == pytest.approx(1 / 8)
