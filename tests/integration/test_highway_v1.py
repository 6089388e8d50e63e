"""Highway-v1: a driving task that needs eyes. Blind driving ends in a stalled car; the scripted driver
changes lane around them; the suite's weather knobs are factors of their own."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import pvmbench.envs  # noqa: F401
from pvmbench.agents.scripted_driver import ScriptedDriver
from pvmbench.envs.contract import check_pvm_env, env_contract
from pvmbench.envs.driving.interface import PRIVILEGED_DIM_V1, STATE_DIM_V1
from pvmbench.envs.driving.lane_gaps import NO_LANE
from pvmbench.shifts.weather import KNOBS, DrivingShift, load_driving_suite

ENV = "pvmbench/Highway-v1"


def _run(env, policy, seed: int, steps: int = 500) -> tuple[float, dict, int]:
    obs, _ = env.reset(seed=seed)
    total, info = 0.0, {}
    for t in range(steps):
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        total += reward
        if terminated or truncated:
            return total, info, t + 1
    return total, info, steps


def test_contract_spaces_and_checker():
    env = gym.make(ENV, image_size=64, privileged=True).unwrapped
    check_pvm_env(env)
    contract = env_contract(ENV, {"image_size": 64, "privileged": True})
    assert contract.suite.name == "driving-v2"
    assert env.observation_space["privileged"].shape == (PRIVILEGED_DIM_V1,)
    assert env.observation_space["image"].shape == (64, 64, 3)  # the agent's image is v0's
    assert env.observation_space["state"].shape == (STATE_DIM_V1,)


def test_state_is_the_speedometer():
    env = gym.make(ENV, image_size=64).unwrapped
    obs, _ = env.reset(seed=0)
    assert obs["state"][0] == pytest.approx(env.START_SPEED)
    for _ in range(10):
        obs, *_ = env.step(np.array([0.0, -1.0], np.float32))  # braking: the reading follows the car
    assert obs["state"][0] == pytest.approx(env.ego.speed) and env.ego.speed < env.START_SPEED - 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_throttle_blind_runs_into_the_stalled_car_and_the_20_tick_rule_ends_it(seed):
    env = gym.make(ENV, image_size=64).unwrapped
    _, info, steps = _run(env, lambda obs: np.array([0.0, 1.0], np.float32), seed)
    assert info["end"] == "collision" and steps < 120


def test_the_scripted_driver_changes_lane_around_stalled_cars():
    env = gym.make(ENV, image_size=64, privileged=True).unwrapped
    driver = ScriptedDriver({}, env.observation_space, env.action_space, 1)
    lanes_used, ends = set(), []
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        for _ in range(500):
            obs, _, terminated, truncated, info = env.step(driver.act({k: v[None] for k, v in obs.items()})[0])
            lanes_used.add(round(float(obs["privileged"][3]), 1))
            if terminated or truncated:
                break
        ends.append(info["end"])
        assert env.ego.x > 400.0  # past at least two stalled cars (the first stands 60-120 m ahead)
    assert len(lanes_used) >= 2 and "collision" not in ends


def test_neighbour_state_reports_missing_lanes_at_the_road_edge():
    env = gym.make(ENV, image_size=64, privileged=True).unwrapped
    for seed in range(8):
        obs, _ = env.reset(seed=seed)
        state, lanes = obs["privileged"], env.hm.lanes
        lane = int(np.round(state[3] / 3.5 + (lanes - 1) / 2))
        assert (state[6] == NO_LANE) == (lane == lanes - 1) and (state[10] == NO_LANE) == (lane == 0)


def test_stalled_cars_are_marked_in_the_image_colour():
    env = gym.make(ENV, image_size=64).unwrapped
    env.reset(seed=0)
    body = np.asarray(env.hm.car_body_geoms)
    assert np.allclose(env.model.geom_rgba[body[env.traffic.stalled], :3], env.STALLED_COLOUR)
    assert env.traffic.stalled.sum() == load_driving_suite("driving-v2").data["traffic"]["stalled"]


def test_knob_factors_move_only_their_knobs_and_together_make_the_ladder():
    suite = load_driving_suite("driving-v2")
    assert suite.factors == ("fog", "rain", "wet_road", "clouds", "darkness")
    base = DrivingShift("id", suite).sample(3)["weather"]
    moved = set()
    for factor, knobs in suite.data["factors"].items():
        weather = DrivingShift(f"factor={factor}", suite).sample(3)["weather"]
        changed = {k for k in KNOBS if weather[k] != base[k]}
        assert changed and changed <= set(knobs), factor
        moved |= changed
    every = DrivingShift("severity=0.6:" + ",".join(suite.factors), suite).sample(3)["weather"]
    assert every == DrivingShift("severity=0.6", suite).sample(3)["weather"]
    assert moved == {k for k in KNOBS if DrivingShift("severity=1", suite).sample(3)["weather"][k] != base[k]}
