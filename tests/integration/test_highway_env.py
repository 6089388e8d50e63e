"""Highway-v0: a Gymnasium env whose weather ladder shows in the pixels, with sane driving rules."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import pvmbench.envs  # noqa: F401
from pvmbench.agents.scripted_driver import ScriptedDriver
from pvmbench.envs.driving.env import HighwayEnv
from pvmbench.errors import UserError
from pvmbench.shifts.weather import DrivingShift, ladder_weather, load_driving_suite, preset_weather

SUITE = load_driving_suite()


def first_frame(weather: dict, seed: int = 0, size: int = 96, steps: int = 0) -> np.ndarray:
    env = HighwayEnv(image_size=size)
    scenario = DrivingShift("id").sample(seed)
    scenario["weather"] = dict(weather)
    obs, _ = env.reset(options={"scenario": scenario})
    for _ in range(steps):
        obs, *_ = env.step(np.array([0.0, 0.3]))
    env.close()
    return obs["image"].astype(float)


def preset(name: str, **changes) -> dict:
    return {**preset_weather(SUITE, name), **changes}


def test_check_env_passes():
    check_env(gym.make("pvmbench/Highway-v0", image_size=64, render_mode="rgb_array").unwrapped)


def test_same_seed_gives_identical_frames():
    a, b = HighwayEnv(image_size=64, shift="hard"), HighwayEnv(image_size=64, shift="hard")
    oa, ia = a.reset(seed=5)
    a.reset(seed=6)
    oa2, _ = a.reset(seed=5)
    ob, ib = b.reset(seed=5)
    assert ia["scenario"] == ib["scenario"]
    assert np.array_equal(oa["image"], ob["image"]) and np.array_equal(oa["image"], oa2["image"])
    for _ in range(10):
        sa, sb = a.step([0.1, 0.5]), b.step([0.1, 0.5])
        assert np.array_equal(sa[0]["image"], sb[0]["image"]) and sa[1] == sb[1]


def test_fog_removes_the_contrast_of_distant_regions():
    # The middle of the image at the horizon: road and cars 70-300 m ahead (rows 34-42 of 96 with
    # the camera's 60 deg fov and 5 deg pitch), roadside trees outside it; same seed and traffic.
    # Contrast is the std of luminance there.
    clear = first_frame(preset("hard_high_light"), steps=5).mean(axis=2)
    fog = first_frame(preset("hard_high_light", fog_density=100.0), steps=5).mean(axis=2)
    far = (slice(34, 42), slice(28, 68))
    assert fog[far].std() < 0.1 * clear[far].std()


def test_night_is_dark_but_lit():
    noon = first_frame(preset("hard_high_light"))
    night = first_frame(preset("hard_low_light", fog_density=0.0))
    assert night.mean() < 0.4 * noon.mean()
    assert night.max() > 200  # headlight pools, lamps and tail lights still shine


def test_rain_is_visible_and_grows_with_precipitation():
    dry = first_frame(preset("soft_noisy_low_light", precipitation=0.0))
    changed = []
    for precipitation in (50.0, 100.0):
        wet = first_frame(preset("soft_noisy_low_light", precipitation=precipitation))
        changed.append((np.abs(wet - dry).max(axis=2) > 15).mean())  # share of pixels visibly changed
    assert changed[0] > 0.05 and changed[1] > changed[0]


def test_levels_and_ladder_use_the_presets():
    assert DrivingShift("id").sample(1)["weather"] == preset_weather(SUITE, "hard_high_light")
    assert {DrivingShift("hard").sample(s)["preset"] for s in range(30)} == {"hard_low_light", "hard_noisy_low_light"}
    assert ladder_weather(SUITE, 0.0) == preset_weather(SUITE, "hard_high_light")
    assert ladder_weather(SUITE, 1.0) == preset_weather(SUITE, "hard_noisy_low_light")
    mid = ladder_weather(SUITE, 0.5)  # halfway between rungs 2 (soft_low_light) and 3 (soft_noisy_low_light)
    assert mid["precipitation"] == pytest.approx(25.0) and mid["cloudiness"] == pytest.approx(65.0)
    train = [DrivingShift("train").sample(s)["weather"] for s in range(30)]
    assert all(30 <= w["sun_altitude_angle"] <= 90 and w["fog_density"] == 0 for w in train)


def test_weather_changes_never_recompile():
    env = HighwayEnv(image_size=64, shift="hard")
    model = env.model
    for seed in range(4):
        env.reset(seed=seed)
    assert env.model is model


def test_bad_weather_is_one_line():
    env = HighwayEnv(image_size=64)
    scenario = env.shift.sample(0)
    bad = copy.deepcopy(scenario)
    bad["weather"]["fog_density"] = 150.0
    with pytest.raises(UserError, match=r"fog_density=150.0: out of range; accepted: a number in \[0, 100\]"):
        env.reset(options={"scenario": bad})
    with pytest.raises(UserError, match="unknown weather preset 'monsoon'; accepted: hard_high_light"):
        preset_weather(SUITE, "monsoon")


def test_driving_into_the_guard_rail_is_a_collision_that_ends_the_episode():
    env = HighwayEnv(image_size=64)
    env.reset(seed=0)
    intensities, info, terminated = [], {}, False
    for _ in range(200):
        _, _, terminated, _, info = env.step([1.0, 1.0])  # full left lock, full throttle
        intensities.append(info["collision_intensity"])
        if terminated:
            break
    assert terminated and info["end"] == "collision" and max(intensities) > 0
    assert abs(env.ego.y) < env.rail_y  # the rail held the car on the road


def test_rear_ending_a_car_is_a_collision():
    env = HighwayEnv(image_size=64)
    env.reset(seed=0)
    t, e = env.traffic, env.ego
    t.x[0], t.y[0], t.v[0], t.v0[0] = e.x + 10, e.y, 0.0, 0.1  # a stopped car in the ego lane
    hit = [env.step([0.0, 1.0])[4]["collision_intensity"] for _ in range(10)]
    assert max(hit) > 1000  # 1500 kg closing at several m/s


def test_braking_to_a_standstill_ends_as_stuck():
    env = HighwayEnv(image_size=64)
    env.reset(seed=0)
    for _ in range(100):
        _, _, terminated, _, info = env.step([0.0, -1.0])
        if terminated:
            break
    assert terminated and info["end"] == "stuck"


def test_scripted_driver_beats_random_by_a_wide_margin():
    env = HighwayEnv(image_size=64, privileged=True)
    driver = ScriptedDriver({}, env.observation_space, env.action_space, 1)

    def episode(seed, policy):
        obs, _ = env.reset(seed=seed)
        rng, total, done = np.random.default_rng(seed), 0.0, False
        while not done:
            action = driver.act({k: v[None] for k, v in obs.items()})[0] if policy == "scripted" else rng.uniform(-1, 1, 2)
            obs, reward, terminated, truncated, _ = env.step(action)
            total, done = total + reward, terminated or truncated
        return total

    scripted = np.mean([episode(s, "scripted") for s in range(3)])
    random = np.mean([episode(s, "random") for s in range(3)])
    assert scripted > random + 500
