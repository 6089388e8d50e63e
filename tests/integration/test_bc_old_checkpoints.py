"""Checkpoints published before the state input load into the image-only layout and act as that layout
computes: head = LayerNorm, Linear, SiLU, Linear, SiLU, Linear, tanh over the encoder's features, rebuilt
here from the raw state_dict tensors, independently of BCPolicy."""

from __future__ import annotations

import pathlib

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch.nn import functional as F

import pvmbench.envs  # noqa: F401
from pvmbench.agents.bc.agent import BCAgent
from pvmbench.agents.checkpoint import load_checkpoint

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Every bc checkpoint in the checkout; those regenerated with the state input are not old ones, and skip.
# The fixture is TableTopPick-v0's published efficientnet-lite0/frozen seed 0 as it was written then (1.6 MB:
# a frozen encoder is stored by name and sha256), kept once v0's checkpoints left checkpoints/.
OLD_FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "old_checkpoints"
PUBLISHED = sorted([*(ROOT / "checkpoints").glob("bc_*.pt"), *OLD_FIXTURES.glob("bc_*.pt")])


def _old_head(sd: dict, features: torch.Tensor) -> torch.Tensor:
    x = F.layer_norm(features, sd["head.0.weight"].shape, sd["head.0.weight"], sd["head.0.bias"])
    x = F.silu(F.linear(x, sd["head.1.weight"], sd["head.1.bias"]))
    x = F.silu(F.linear(x, sd["head.3.weight"], sd["head.3.bias"]))
    return torch.tanh(F.linear(x, sd["head.5.weight"], sd["head.5.bias"]))


def test_an_old_image_only_checkpoint_is_among_them():
    assert any(p.parent == OLD_FIXTURES for p in PUBLISHED)


@pytest.mark.parametrize("path", PUBLISHED, ids=[p.name for p in PUBLISHED])
def test_published_checkpoint_loads_and_acts_as_the_image_only_layout(path):
    checkpoint = load_checkpoint(path)
    if "state_dim" in checkpoint["config"]:
        pytest.skip(f"{path.name} was trained with the robot state: not an old checkpoint")
    if checkpoint["config"]["encoder"] != "cnn":
        pytest.importorskip("efficientnet_lite_pytorch")
    env_id = checkpoint["env"]
    image_size = checkpoint["config"]["env_kwargs"]["image_size"]
    env = gym.make(env_id, image_size=image_size)
    agent = BCAgent(checkpoint, env.observation_space, env.action_space, 2)
    obs = {"image": np.stack([env.reset(seed=s)[0]["image"] for s in (0, 1)])}
    env.close()
    action = agent.act(obs)
    assert action.shape == (2, env.action_space.shape[0]) and action.dtype == np.float32
    with torch.no_grad():
        expected = _old_head(checkpoint["state_dict"], agent.policy.encoder(torch.as_tensor(obs["image"]))).numpy()
    np.testing.assert_array_equal(action, expected)
