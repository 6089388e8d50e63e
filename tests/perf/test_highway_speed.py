"""Highway-v0 speed: step+render against raw MuJoCo rendering of the same scene, and highway-env.

Run: pytest tests/perf/test_highway_speed.py --benchmark-enable -s
The raw baseline renders the env's own model, state and camera with the same renderer settings
(fog included) in a loop: what is left is the traffic simulation, scene updates and rain.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from pvmbench.envs.driving.env import HighwayEnv
from pvmbench.shifts.weather import DrivingShift, load_driving_suite, preset_weather

SUITE = load_driving_suite()
STEPS = 100


def _env(size: int, preset: str) -> HighwayEnv:
    env = HighwayEnv(image_size=size)
    scenario = DrivingShift("id").sample(0)
    scenario.update(weather=preset_weather(SUITE, preset), preset=preset)
    env.reset(options={"scenario": scenario})
    env._scenario_for_bench = scenario
    return env


def _raw_render(env: HighwayEnv, frames: int) -> float:
    start = time.perf_counter()
    for _ in range(frames):
        env._renderer.render(env.data, env.hm.camera)
    return (time.perf_counter() - start) / frames


@pytest.mark.parametrize("preset", ["hard_high_light", "hard_noisy_low_light"])
@pytest.mark.parametrize("size", [84, 224])
def test_step_render_ratio_to_raw_mujoco(benchmark, size, preset):
    env = _env(size, preset)
    action = np.array([0.0, 0.3])

    def run():
        env.reset(options={"scenario": env._scenario_for_bench})
        for _ in range(STEPS):
            env.step(action)

    raw = min(_raw_render(env, STEPS) for _ in range(3))
    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    per_step = benchmark.stats.stats.median / STEPS
    ratio = raw / per_step
    benchmark.extra_info.update(env_steps_per_s=1 / per_step, raw_frames_per_s=1 / raw, ratio=ratio)
    print(f"\n[{size}px {preset}] env {1 / per_step:.1f} steps/s, raw MuJoCo render {1 / raw:.1f} frames/s, "
          f"ratio {ratio:.3f}")


def test_highway_env_fast_84px_side_by_side(benchmark):
    reference = pytest.importorskip("tests.perf.highway_env_reference", reason="highway-env helper missing")
    if reference.highway_env_python() is None:
        pytest.skip("no highway-env venv; create it with: bash tests/perf/setup_highway_env_venv.sh")
    env = _env(84, "hard_noisy_low_light")
    action = np.array([0.0, 0.3])

    def ours():
        env.reset(options={"scenario": env._scenario_for_bench})
        for _ in range(STEPS):
            env.step(action)

    benchmark.pedantic(ours, rounds=3, iterations=1, warmup_rounds=1)
    ours_steps = STEPS / benchmark.stats.stats.median
    theirs = reference.measure_highway_fast(steps=200)
    ratio = ours_steps / theirs["steps_per_s"]
    benchmark.extra_info.update(pvmbench_steps_per_s=ours_steps, highway_env=theirs, ratio=ratio)
    print(f"\n[84px hard_noisy_low_light] pvmbench {ours_steps:.1f} steps/s, highway-env highway-fast-v0 "
          f"{theirs['steps_per_s']:.1f} steps/s, ratio {ratio:.1f}x")
