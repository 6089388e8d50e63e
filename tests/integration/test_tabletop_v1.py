"""TableTopPick-v1: the documented `state` vector is the robot's own, true to the simulator, and never the object's pose."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import pvmbench.envs  # noqa: F401
from pvmbench.agents.scripted import ScriptedTableTopAgent
from pvmbench.envs import TABLETOP_ID, TABLETOP_V1_ID
from pvmbench.envs.contract import check_pvm_env, env_contract
from pvmbench.envs.tabletop import env_v1
from pvmbench.envs.tabletop.controller import YAW_LIMIT
from pvmbench.envs.tabletop.env_v1 import STATE_DIM, STATE_LAYOUT, STATE_SLICES


def make(**kwargs) -> gym.Env:
    kwargs.setdefault("image_size", 64)
    return gym.make(TABLETOP_V1_ID, **kwargs)


def state_part(obs, name):
    return obs["state"][STATE_SLICES[name]]


def test_layout_is_documented_and_holds_no_object_field():
    names = [name for name, _ in STATE_LAYOUT]
    assert names == ["tcp_pos", "tcp_yaw_cos_sin", "finger_width", "is_grasped", "goal_pos", "goal_minus_tcp"]
    assert STATE_DIM == 13 == sum(size for _, size in STATE_LAYOUT)
    documented = env_v1.__doc__
    assert all(name in documented for name in names)  # the env's docstring lists every field
    assert not any("obj" in name for name in names)


def test_state_matches_the_simulator():
    env = make()
    u = env.unwrapped
    obs, _ = env.reset(seed=4)
    for action in ([0.5, -0.3, -0.4, 0.8, -1.0], [0.0, 0.4, -0.6, 1.0, 1.0], [0.2, 0.0, 0.3, -0.5, 0.0]):
        obs, *_ = env.step(np.array(action, dtype=np.float32))
        tcp = u.data.site_xpos[u.tm.tcp_site]
        rot = u.data.site_xmat[u.tm.tcp_site].reshape(3, 3)
        goal = u.data.mocap_pos[u.tm.goal_mocap]
        np.testing.assert_allclose(state_part(obs, "tcp_pos"), tcp, atol=1e-6)
        x_axis = rot[:2, 0] / np.linalg.norm(rot[:2, 0])  # the TCP's x axis, seen from above
        np.testing.assert_allclose(state_part(obs, "tcp_yaw_cos_sin"), x_axis, atol=1e-6)
        np.testing.assert_allclose(state_part(obs, "finger_width"), [u.data.qpos[u.tm.finger_qpos].sum()], atol=1e-6)
        np.testing.assert_allclose(state_part(obs, "goal_pos"), goal, atol=1e-6)
        np.testing.assert_allclose(state_part(obs, "goal_minus_tcp"), goal - tcp, atol=1e-5)
    assert obs["state"].dtype == np.float32 and obs["state"].shape == (STATE_DIM,)


def test_goal_in_state_is_the_goal_the_reward_measures():
    env = make()
    u = env.unwrapped
    obs, _ = env.reset(seed=7)
    goal = state_part(obs, "goal_pos").astype(np.float64)
    # Put the target's centre on the state's goal, weightless so it stays there for the step.
    u.model.opt.gravity[:] = 0.0
    adr = u.tm.slot_qpos[0]
    half = u._applier.object_height(u._scenario["objects"]["target"]) / 2
    u.data.qpos[adr : adr + 3] = goal - u.data.xmat[u.tm.slot_bodies[0]].reshape(3, 3)[:, 2] * half
    u.data.qvel[:] = 0.0
    _, reward, _, _, info = env.step(np.zeros(5, dtype=np.float32))
    assert info["is_success"] and reward > 1.0  # at_goal pays 1, reach a little more


def test_state_ignores_where_the_object_is():
    env = make()
    u = env.unwrapped
    env.reset(seed=2)
    before = u.robot_state()
    adr = u.tm.slot_qpos[0]
    u.data.qpos[adr : adr + 3] += [0.05, -0.04, 0.0]
    u.data.qpos[adr + 3 : adr + 7] = [math.cos(0.6), 0.0, 0.0, math.sin(0.6)]
    import mujoco

    mujoco.mj_forward(u.model, u.data)
    np.testing.assert_array_equal(u.robot_state(), before)


def test_grasp_flag_goes_up_when_the_oracle_grasps():
    env = make(privileged=True)
    agent = ScriptedTableTopAgent({}, env.observation_space, env.action_space, num_envs=1)
    obs, info = env.reset(seed=0)
    agent.reset(np.array([True]))
    flags = [state_part(obs, "is_grasped")[0]]
    assert flags[0] == 0.0 and not info["is_grasped"]
    for _ in range(50):
        obs, _, _, truncated, info = env.step(agent.act({k: v[None] for k, v in obs.items()})[0])
        flags.append(state_part(obs, "is_grasped")[0])
        assert flags[-1] == float(info["is_grasped"])
        if truncated:
            break
    assert flags.count(1.0) >= 5 and info["is_success"]
    assert 0.0 < state_part(obs, "finger_width")[0] < 0.08  # closed on the object


def test_the_wrist_turns_with_dyaw_and_stops_at_its_limit():
    env = make()
    obs, _ = env.reset(seed=1)
    for _ in range(12):
        obs, *_ = env.step(np.array([0, 0, 0, 1.0, -1.0], dtype=np.float32))
    cos, sin = state_part(obs, "tcp_yaw_cos_sin")
    assert math.atan2(sin, cos) == pytest.approx(YAW_LIMIT, abs=math.radians(3))


def test_spaces_from_the_contract_equal_the_envs():
    for kwargs in ({}, {"privileged": True}, {"proprio": True, "image_size": 96}):
        contract = env_contract(TABLETOP_V1_ID, {"image_size": 64, **kwargs})
        env = make(**kwargs)
        assert contract.observation_space == env.observation_space
        assert contract.action_space == env.action_space == gym.spaces.Box(-1.0, 1.0, (5,), np.float32)
        assert "state" in contract.observation_space.spaces
        assert ("privileged" in contract.observation_space.spaces) == bool(kwargs.get("privileged"))
        env.close()


@pytest.mark.parametrize("privileged", [False, True])
def test_check_pvm_env_passes(privileged):
    env = make(privileged=privileged)
    try:
        check_pvm_env(env)
    finally:
        env.close()


def test_v1_draws_from_tabletop_v2_and_v0_is_unchanged():
    assert env_contract(TABLETOP_V1_ID).suite.name == "tabletop-v2"
    v0 = env_contract(TABLETOP_ID)
    assert v0.suite.name == "tabletop-v1"
    assert "state" not in v0.observation_space.spaces and v0.action_space.shape == (4,)
    env = make()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="5 finite numbers"):
        env.step(np.zeros(4, dtype=np.float32))
