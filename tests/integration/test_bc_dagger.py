"""DAgger rounds in `pvmbench train --algo bc`: the policy drives, the expert labels the states the policy
reached (not the ones it would have reached itself), and those frames join the training set."""

from __future__ import annotations

import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import torch

import pvmbench.envs  # noqa: F401
from pvmbench.agents.bc.dagger import dagger_seeds, on_policy_frames, round_steps
from pvmbench.agents.checkpoint import load_checkpoint
from pvmbench.agents.scripted_driver import ScriptedDriver

ENV = "pvmbench/Highway-v1"
FULL_THROTTLE = np.array([0.0, 1.0], np.float32)


class ConstantPolicy(torch.nn.Module):
    """Drives full throttle, straight: it runs into the first stalled car, which the expert would pass."""

    def act(self, obs, device):
        assert set(obs) == {"image", "state"}  # what an image policy may see: no privileged state
        return np.repeat(FULL_THROTTLE[None], len(obs["image"]), axis=0)


def test_rounds_are_spread_over_training_and_leave_steps_after_the_last():
    assert round_steps(3000, 3) == [750, 1500, 2250]
    assert round_steps(3000, 0) == []
    assert round_steps(4, 1) == [2]


def test_round_seeds_are_their_own_stream():
    first, second = dagger_seeds(0, "train", 0, 3), dagger_seeds(0, "train", 1, 3)
    assert len(set(first) | set(second)) == 6 and dagger_seeds(0, "train", 0, 3) == first


def test_frames_are_the_policys_states_labelled_by_the_expert():
    seeds = dagger_seeds(0, "train", 0, 1)
    frames = on_policy_frames(ConstantPolicy(), torch.device("cpu"), ENV, "train", 64, seeds, "scripted-driver",
                              use_state=True, progress=False)
    # Replay the same episode with the same executed actions, asking the expert at every state.
    env = gym.make(ENV, shift="train", image_size=64, privileged=True)
    expert = ScriptedDriver({}, env.observation_space, env.action_space, 1)
    obs, _ = env.reset(seed=seeds[0])
    labels, images, done = [], [], False
    while not done:
        labels.append(expert.act({k: v[None] for k, v in obs.items()})[0])
        images.append(obs["image"])
        obs, _, terminated, truncated, _ = env.step(FULL_THROTTLE)
        done = terminated or truncated
    assert len(frames["actions"]) == len(labels) < 200  # the constant policy crashes early
    np.testing.assert_array_equal(frames["executed"], np.repeat(FULL_THROTTLE[None], len(labels), axis=0))
    np.testing.assert_allclose(frames["actions"], np.stack(labels), atol=1e-6)
    np.testing.assert_array_equal(frames["images"], np.stack(images))
    assert np.abs(frames["actions"][:, 0]).max() > 0.1  # the expert asks for the lane change it did not make
    assert frames["state"].shape == (len(labels), 1) and not frames["episode_success"][0]


def test_training_with_a_round_adds_its_frames_and_records_them(tmp_path):
    out = tmp_path / "dagger.pt"
    env = {**os.environ, "PVMBENCH_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", "pvmbench.cli", "train", "--algo", "bc", "--env", ENV, "--demos", "2",
                          "--steps", "4", "--batch", "8", "--image-size", "64", "--eval-episodes", "0",
                          "--val-fraction", "0", "--dagger-rounds", "1", "--dagger-episodes", "1", "--no-progress",
                          "--out", str(out)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    meta = load_checkpoint(out)["meta"]
    (entry,) = meta["dagger"]["log"]
    assert entry["step"] == 2 and entry["episodes"] == 1 and entry["frames"] > 0
    assert entry["training_frames"] == meta["frames"] + entry["frames"]  # demos (none held out) + the round's
