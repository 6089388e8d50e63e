"""A frozen cache grown by DAgger rounds: appending keeps the existing values where they are (no copy of a
cache that reaches GBs on driving), and a training batch drawn from the chunks is exactly the batch the same
generator draws from one concatenated tensor."""

import torch

from pvmbench.agents.bc.feature_cache import AugmentedCache


def _cache(copies: int, frames: int, start: float) -> AugmentedCache:
    values = torch.arange(copies * frames * 3, dtype=torch.float32).view(copies, frames, 3) + start
    return AugmentedCache(values, torch.zeros((copies, frames, 2), dtype=torch.long))


def test_appending_a_round_does_not_copy_the_existing_values():
    base = _cache(2, 7, 0.0)
    grown = base.appended(_cache(2, 4, 1000.0)).appended(_cache(2, 5, 2000.0))
    assert grown.chunks[0].data_ptr() == base.chunks[0].data_ptr()
    assert grown.frames == 16 and grown.values.shape == (2, 16, 3) and grown.offsets.shape == (2, 16, 2)


def test_a_batch_from_chunks_equals_the_batch_from_one_tensor():
    grown = _cache(2, 7, 0.0).appended(_cache(2, 4, 1000.0)).appended(_cache(2, 5, 2000.0))
    whole = AugmentedCache(grown.values, grown.offsets)
    positions = torch.tensor([15, 0, 6, 7, 10, 11, 3, 11, 15, 8])  # every chunk, both edges, unsorted, repeats
    a = grown.sample(positions, torch.Generator().manual_seed(3))
    b = whole.sample(positions, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
