"""DrQ random shift: moves each frame by at most the pad, repeats edge pixels like DrQ's pad + crop, keeps
uint8 frames uint8 and their shape; and the warm-up + cosine schedule around it."""

import numpy as np
import pytest
import torch

from pvmbench.agents.bc.augment import random_shift, shift
from pvmbench.agents.bc.schedule import lr_factor, warmup_cosine


def _dot_frames(batch: int, size: int, y: int, x: int) -> torch.Tensor:
    frames = torch.zeros((batch, size, size, 3), dtype=torch.uint8)
    frames[:, y, x] = torch.tensor([255, 128, 7], dtype=torch.uint8)
    return frames


@pytest.mark.parametrize("pad", [1, 4])
def test_each_frame_moves_by_at_most_the_pad_and_keeps_dtype_and_shape(pad):
    frames = _dot_frames(1024, 32, 15, 17)
    shifted, offsets = random_shift(frames, pad, torch.Generator().manual_seed(0))
    assert shifted.dtype == torch.uint8 and shifted.shape == frames.shape
    assert offsets.shape == (1024, 2) and int(offsets.abs().max()) <= pad
    for b in range(len(frames)):
        ys, xs = np.nonzero(shifted[b, :, :, 0].numpy() == 255)
        assert len(ys) == 1, "the dot must survive the shift exactly once"
        moved = (ys[0] - 15, xs[0] - 17)
        assert max(abs(moved[0]), abs(moved[1])) <= pad
        assert moved == (-int(offsets[b, 0]), -int(offsets[b, 1]))  # the content moves against the offset
        assert shifted[b, ys[0], xs[0]].tolist() == [255, 128, 7]  # channels travel together
    # Every offset in [-pad, pad]^2 is drawn, not a few fixed ones.
    assert len({tuple(o) for o in offsets.tolist()}) == (2 * pad + 1) ** 2


def test_shift_equals_drq_edge_pad_then_crop():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (8, 20, 24, 3), dtype=np.uint8)
    offsets = torch.as_tensor(rng.integers(-4, 5, (8, 2)))
    ours = shift(torch.as_tensor(frames), offsets).numpy()
    for b, (dy, dx) in enumerate(offsets.tolist()):
        padded = np.pad(frames[b], ((4, 4), (4, 4), (0, 0)), mode="edge")
        np.testing.assert_array_equal(ours[b], padded[4 + dy:4 + dy + 20, 4 + dx:4 + dx + 24])


def test_pad_zero_is_the_identity_and_the_generator_fixes_the_draw():
    frames = torch.as_tensor(np.random.default_rng(1).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8))
    same, _ = random_shift(frames, 0, torch.Generator().manual_seed(0))
    assert torch.equal(same, frames)
    a, _ = random_shift(frames, 4, torch.Generator().manual_seed(3))
    b, _ = random_shift(frames, 4, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_schedule_warms_up_linearly_then_decays_to_zero_keeping_group_ratios():
    assert lr_factor(0, 1000, 50) == pytest.approx(1 / 50)
    assert lr_factor(49, 1000, 50) == pytest.approx(1.0)
    assert lr_factor(50, 1000, 50) == pytest.approx(1.0)
    assert lr_factor(525, 1000, 50) == pytest.approx(0.5)
    assert lr_factor(999, 1000, 50) < 1e-4
    weights = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.AdamW([{"params": weights[:1], "lr": 1e-4}, {"params": weights[1:], "lr": 1e-3}])
    scheduler = warmup_cosine(optimizer, 200)
    for _ in range(120):
        optimizer.step()
        scheduler.step()
        low, high = scheduler.get_last_lr()
        assert high == pytest.approx(10 * low)
