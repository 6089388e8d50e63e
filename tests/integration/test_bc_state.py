"""A policy trained with the robot `state` round-trips: `pvmbench train --algo bc` on TableTopPick-v1 stores
the state size and the training demos' mean and std, `pvmbench eval` loads it and acts, and the agent
normalises the state it is given with exactly those statistics. Its meta carries the held-out loss per task
phase and the periodic rollouts."""

from __future__ import annotations

import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

import pvmbench.envs  # noqa: F401
from pvmbench.agents.bc.agent import BCAgent
from pvmbench.agents.bc.policy import MIN_STATE_STD
from pvmbench.agents.bc.split import split_by_episode
from pvmbench.agents.checkpoint import load_checkpoint
from pvmbench.envs.tabletop.env_v1 import STATE_DIM

ENV = "pvmbench/TableTopPick-v1"


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PVMBENCH_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pvmbench.cli", *args], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bc_state")
    out = tmp_path / "state.pt"
    run = _cli(tmp_path, "train", "--algo", "bc", "--env", ENV, "--demos", "3", "--steps", "4", "--batch", "8",
               "--image-size", "64", "--eval-every", "2", "--eval-episodes", "1", "--no-progress", "--out", str(out))
    assert run.returncode == 0, run.stderr
    return tmp_path, out, load_checkpoint(out)


def test_checkpoint_stores_the_state_size_and_the_training_demos_statistics(trained):
    tmp_path, _, checkpoint = trained
    assert checkpoint["config"]["state_dim"] == STATE_DIM
    (cache,) = (tmp_path / "cache" / "demos").glob("*.npz")
    with np.load(cache) as data:
        split = split_by_episode(data["episode"], 0.1, demo_seed=0)
        states = data["state"][split.train].astype(np.float64)
    assert len(split.val) > 0  # held-out frames must not shape the statistics
    np.testing.assert_allclose(checkpoint["state_dict"]["state_norm.mean"].numpy(), states.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(checkpoint["state_dict"]["state_norm.std"].numpy(),
                               np.maximum(states.std(0), MIN_STATE_STD), rtol=1e-5, atol=1e-6)


def test_meta_reports_held_out_loss_per_phase_and_rollouts(trained):
    meta = trained[2]["meta"]
    assert [r["step"] for r in meta["history"]] == [2, 4]
    assert set(meta["val_loss_by_phase"]) == {"reach", "grasp", "carry", "hold"}
    assert meta["val_loss"] > 0 and meta["uses_state"] is True
    assert set(meta["rollout"]) >= {"success", "grasp", "mean_return", "score", "episodes"}
    assert meta["rollout"]["episodes"] == 1
    assert meta["demo_noise"] == {"sigma": 0.2, "dims": [0, 1, 2]}
    assert meta["augmentation"]["pad"] == 4 and meta["schedule"]["warmup_steps"] >= 1


def test_eval_loads_it_and_the_agent_normalises_the_state(trained):
    tmp_path, out, checkpoint = trained
    results = tmp_path / "rows.parquet"
    run = _cli(tmp_path, "eval", "--agent", str(out), "--shift", "id", "--episodes", "1", "--workers", "0",
               "--num-envs", "1", "--out", str(results), "--no-progress")
    assert run.returncode == 0, run.stderr
    import pandas as pd

    assert pd.read_parquet(results)["status"].eq("ok").all()

    env = gym.make(ENV, image_size=64)
    obs, _ = env.reset(seed=5)
    env.close()
    batch = {k: v[None] for k, v in obs.items()}
    agent = BCAgent(checkpoint, env.observation_space, env.action_space, 1)
    action = agent.act(batch)
    policy, sd = agent.policy, checkpoint["state_dict"]
    with torch.no_grad():
        features = policy.feature_norm(policy.encoder(torch.as_tensor(batch["image"])))

        def head(state):
            return policy.head(torch.cat([features, policy.state_mlp(state)], 1)).numpy()

        raw = torch.as_tensor(batch["state"])
        normalised = (raw - sd["state_norm.mean"]) / sd["state_norm.std"]
        np.testing.assert_allclose(action, head(normalised), rtol=1e-5, atol=1e-6)
        assert not np.allclose(action, head(raw), atol=1e-3)  # the statistics matter, so the check above bites


def test_a_state_checkpoint_on_an_env_without_state_is_refused(trained):
    v0 = gym.make("pvmbench/TableTopPick-v0", image_size=64)
    from pvmbench.errors import UserError

    with pytest.raises(UserError, match="robot state"):
        BCAgent(trained[2], v0.observation_space, v0.action_space, 1)
    v0.close()


def test_no_state_trains_the_image_only_layout(tmp_path):
    out = tmp_path / "image_only.pt"
    run = _cli(tmp_path, "train", "--algo", "bc", "--env", ENV, "--demos", "2", "--steps", "2", "--batch", "4",
               "--image-size", "64", "--eval-episodes", "0", "--no-state", "--no-progress", "--out", str(out))
    assert run.returncode == 0, run.stderr
    checkpoint = load_checkpoint(out)
    assert "state_dim" not in checkpoint["config"] and checkpoint["meta"]["rollout"] is None
    assert not any(k.startswith("state_") for k in checkpoint["state_dict"]) and "head.0.weight" in checkpoint["state_dict"]
