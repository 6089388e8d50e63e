"""Highway-v1 speed: step+render against raw MuJoCo rendering of the same scene, and highway-env.

Run: pytest tests/perf/test_highway_speed.py --benchmark-enable -s
The raw baseline renders the env's own model, state and camera with the same renderer settings
(fog included) in a loop: what is left is the traffic simulation, scene updates and rain.
Each side and its baseline are timed in alternating rounds (interleave.py); the ratios go to
extra_info under the keys in targets.py.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from pvmbench.envs.driving.env import HighwayEnv
from pvmbench.envs.driving.env_v1 import HighwayEnvV1
from pvmbench.shifts.weather import DrivingShift, load_driving_suite, preset_weather
from tests.perf.interleave import interleaved

SUITE = load_driving_suite(HighwayEnvV1.default_suite)
STEPS = 100
ROUNDS = 9
ACTION = np.array([0.0, 0.3])


def _env(size: int, preset: str) -> HighwayEnv:
    env = HighwayEnvV1(image_size=size)
    scenario = DrivingShift("id", SUITE).sample(0)
    scenario.update(weather=preset_weather(SUITE, preset), preset=preset)
    env.reset(options={"scenario": scenario})
    env._scenario_for_bench = scenario
    return env


def _raw_render(env: HighwayEnv, frames: int):
    """A round of the env's own renderer drawing the scene as reset leaves it, `frames` times."""

    def run() -> float:
        env.reset(options={"scenario": env._scenario_for_bench})  # untimed, as the env side's is
        start = time.perf_counter()
        for _ in range(frames):
            env._renderer.render(env.data, env.hm.camera)
        return time.perf_counter() - start

    return run


def _env_steps(env: HighwayEnv, steps: int):
    """A round of env steps from the benchmark scenario's reset, the reset left out of the time."""

    def run() -> float:
        env.reset(options={"scenario": env._scenario_for_bench})
        start = time.perf_counter()
        for _ in range(steps):
            env.step(ACTION)
        return time.perf_counter() - start

    return run


@pytest.mark.parametrize("preset", ["hard_high_light", "hard_noisy_low_light"])
@pytest.mark.parametrize("size", [84, 224])
def test_step_render_ratio_to_raw_mujoco(benchmark, size, preset):
    env = _env(size, preset)
    rounds = interleaved(benchmark, {"raw": _raw_render(env, STEPS), "env": _env_steps(env, STEPS)}, rounds=ROUNDS)
    env_rate, raw_rate = STEPS / rounds.median("env"), STEPS / rounds.median("raw")
    ratio = rounds.ratio("raw", "env")  # env steps/s / raw frames/s, paired by round
    benchmark.extra_info.update(env_steps_per_s=env_rate, raw_frames_per_s=raw_rate, highway_step_render_vs_raw=ratio)
    print(f"\n[{size}px {preset}] env {env_rate:.1f} steps/s, raw MuJoCo render {raw_rate:.1f} frames/s, "
          f"ratio {ratio:.3f} (paired by round)")


def test_highway_env_fast_84px_side_by_side(benchmark):
    reference = pytest.importorskip("tests.perf.highway_env_reference", reason="highway-env helper missing")
    if reference.highway_env_python() is None:
        pytest.skip("no highway-env venv; create it with: bash tests/perf/setup_highway_env_venv.sh")
    env = _env(84, "hard_noisy_low_light")
    runs: list[dict] = []  # every run, the untimed warm-up round's too

    def highway_env() -> float:
        # A fresh highway-env process each round; its own timing leaves out start-up and warm-up steps.
        runs.append(reference.measure_highway_fast(steps=200))
        return 200 / runs[-1]["steps_per_s"]

    rounds = interleaved(benchmark, {"pvmbench": _env_steps(env, STEPS), "highway-env": highway_env}, rounds=3)
    ours, theirs = STEPS / rounds.median("pvmbench"), 200 / rounds.median("highway-env")
    ratio = rounds.ratio("highway-env", "pvmbench") * STEPS / 200  # steps/s over steps/s, paired by round
    benchmark.extra_info.update(pvmbench_steps_per_s=ours, highway_env_steps_per_s=theirs, highway_env_runs=runs,
                                highway_vs_highway_env=ratio)
    for warning in {run["warning"] for run in runs if "warning" in run}:
        print(f"\n[highway-env] WARNING: {warning}")
    print(f"\n[84px hard_noisy_low_light] pvmbench {ours:.1f} steps/s, highway-env highway-fast-v0 "
          f"{theirs:.1f} steps/s, ratio {ratio:.1f}x")
