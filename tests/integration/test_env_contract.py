"""Every registered pvmbench env keeps the env contract; `import pvmbench` is all a Gymnasium user needs."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import pvmbench
from pvmbench.envs import CARLA_HIGHWAY_ID, HIGHWAY_ID, HIGHWAY_V1_ID, TABLETOP_ID, TABLETOP_V1_ID
from pvmbench.envs.contract import check_pvm_env, env_class, env_contract, missing_attributes
from pvmbench.envs.tabletop.env import TableTopPickEnv
from pvmbench.errors import UserError

EMBEDDED = [TABLETOP_ID, TABLETOP_V1_ID, HIGHWAY_ID, HIGHWAY_V1_ID]  # the CARLA backend needs a server; its class contract is checked below


def test_every_registered_pvmbench_env_is_covered():
    registered = sorted(k for k in gym.registry if k.startswith("pvmbench/"))
    assert registered == sorted([*EMBEDDED, CARLA_HIGHWAY_ID])


@pytest.mark.parametrize("env_id", EMBEDDED)
@pytest.mark.parametrize("privileged", [False, True])
def test_check_pvm_env_passes(env_id, privileged):
    env = gym.make(env_id, image_size=64, privileged=privileged)
    try:
        check_pvm_env(env)
    finally:
        env.close()


def test_the_carla_backend_declares_the_contract_without_a_server():
    contract = env_contract(CARLA_HIGHWAY_ID, {"image_size": 64})
    assert missing_attributes(contract.env_class) == []
    highway = env_contract(HIGHWAY_ID, {"image_size": 64})
    # An agent trained on one backend evaluates on the other: same suite, spaces, expert and training level.
    assert (contract.suite, contract.observation_space, contract.action_space, contract.expert_agent,
            contract.train_level) == (highway.suite, highway.observation_space, highway.action_space,
                                      highway.expert_agent, highway.train_level)


class _NoReplay(TableTopPickEnv):
    """Replaying a scenario gives another frame: the contract's replay rule must catch it."""

    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed, options=options)
        if options and "scenario" in options:
            obs = {**obs, "image": np.zeros_like(obs["image"])}
        return obs, info


def test_check_pvm_env_fails_on_a_broken_env():
    gym.register("NoReplayForContractTest-v0", entry_point=_NoReplay, max_episode_steps=50)
    env = gym.make("NoReplayForContractTest-v0", image_size=64)
    try:
        with pytest.raises(AssertionError, match="replaying the scenario gave another first frame"):
            check_pvm_env(env)
    finally:
        env.close()
        del gym.registry["NoReplayForContractTest-v0"]


def test_contract_is_read_without_building_an_env(monkeypatch):
    cls = env_class(TABLETOP_ID)

    def refuse(self, *args, **kwargs):
        raise AssertionError("an env was built")

    monkeypatch.setattr(cls, "__init__", refuse)
    contract = env_contract(TABLETOP_ID, {"image_size": 96, "privileged": True})
    assert contract.score_bounds == cls.score_bounds and contract.suite.name == "tabletop-v1"
    assert contract.observation_space["image"].shape == (96, 96, 3) and "privileged" in contract.observation_space.spaces
    assert (contract.expert_agent, contract.train_level) == ("scripted", "id")


def test_an_env_without_the_contract_is_one_line_naming_what_is_missing():
    class Bare(gym.Env):
        observation_space = gym.spaces.Discrete(2)
        action_space = gym.spaces.Discrete(2)

    gym.register("BareForContractTest-v0", entry_point=Bare)
    try:
        with pytest.raises(UserError, match="does not declare score_bounds, default_suite, load_suite"):
            env_contract("BareForContractTest-v0")
    finally:
        del gym.registry["BareForContractTest-v0"]
    with pytest.raises(UserError, match="unknown env .* accepted: pvmbench/"):
        env_contract("pvmbench/NoSuchEnv-v0")


@pytest.mark.parametrize("env_id", EMBEDDED)
def test_is_success_in_info_at_reset_and_every_step(env_id):
    env = gym.make(env_id, image_size=64)
    try:
        _, info = env.reset(seed=3)
        assert info["is_success"] is False
        for _ in range(5):
            *_, info = env.step(env.action_space.sample())
            assert isinstance(info["is_success"], bool)
    finally:
        env.close()


def test_import_pvmbench_alone_registers_the_envs():
    # A fresh interpreter: nothing but `import pvmbench` may be needed, as with ale_py and gymnasium_robotics.
    code = ("import gymnasium as gym, pvmbench; gym.register_envs(pvmbench); "
            f"env = gym.make({TABLETOP_ID!r}, image_size=64); obs, info = env.reset(seed=0); "
            "print(obs['image'].shape, 'scenario' in info)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(64, 64, 3) True"
    assert pvmbench.__version__


def test_preset_shift_is_the_preset_weather_with_id_traffic():
    from pvmbench.shifts.weather import preset_weather

    env = gym.make(HIGHWAY_ID, image_size=64, shift="preset=hard_low_light")
    reference = gym.make(HIGHWAY_ID, image_size=64, shift="id")
    try:
        _, info = env.reset(seed=5)
        _, ref = reference.reset(seed=5)
        scenario = info["scenario"]
        assert scenario["shift"] == "preset=hard_low_light" and scenario["preset"] == "hard_low_light"
        assert scenario["weather"] == preset_weather(env.unwrapped.shift.suite, "hard_low_light")
        assert scenario["traffic"] == ref["scenario"]["traffic"]
    finally:
        env.close()
        reference.close()
