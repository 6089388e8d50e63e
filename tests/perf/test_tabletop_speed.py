"""Table-top speed, as ratios to baselines measured in the same process.

Run: tox -e perf   (or: pytest tests/perf --benchmark-enable -s)
Baselines: raw MuJoCo stepping (the same substeps) and rendering (the same camera, size and
render flags) on the env's own compiled model; robosuite's Lift at 84 px in its own venv.
Each side and its baseline are timed in alternating rounds (interleave.py); the ratios go to
extra_info under the keys in targets.py, and to BENCHMARKS.md. No assertions on time: these
machines are noisy.
"""

from __future__ import annotations

import copy
import statistics
import time

import mujoco
import numpy as np
import pytest

from pvmbench.envs.tabletop.env import SUBSTEPS, TableTopPickEnv
from tests.perf.interleave import interleaved
from tests.perf.robosuite_reference import measure_robosuite_lift, robosuite_python

STEPS = 49  # an episode's worth (50) after the reset, so no round runs past the episode's end
ROUNDS = 25  # short rounds (0.1-0.3 s a side), many of them: load here swings within seconds
ACTION = np.array([0.2, -0.1, -0.3, -1.0], dtype=np.float32)


def _raw_step_render(env: TableTopPickEnv, size: int, steps: int):
    """A round of plain mj_step x SUBSTEPS + render, each from the env's state just after reset."""
    model = env.model
    start_state = copy.copy(env.data)
    renderer = mujoco.Renderer(model, height=size, width=size)
    for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION, mujoco.mjtRndFlag.mjRND_SKYBOX):
        renderer.scene.flags[flag] = 0
    option = mujoco.MjvOption()
    camera = env.tm.cameras[env.camera]

    def run() -> float:
        data = copy.copy(start_state)  # untimed, as the env's reset is
        start = time.perf_counter()
        for _ in range(steps):
            mujoco.mj_step(model, data, nstep=SUBSTEPS)
            renderer.update_scene(data, camera=camera, scene_option=option)
            renderer.render()
        return time.perf_counter() - start

    return run, renderer


def _env_steps(env: TableTopPickEnv, steps: int, action: np.ndarray):
    """A round of env steps from reset(seed=0), the reset left out of the time."""

    def run() -> float:
        env.reset(seed=0)
        start = time.perf_counter()
        for _ in range(steps):
            env.step(action)
        return time.perf_counter() - start

    return run


@pytest.mark.parametrize("size", [84, 224])
def test_step_render_ratio_to_raw_mujoco(benchmark, size):
    env = TableTopPickEnv(shift="id", image_size=size)
    env.reset(seed=0)
    raw, renderer = _raw_step_render(env, size, STEPS)
    rounds = interleaved(benchmark, {"raw": raw, "env": _env_steps(env, STEPS, ACTION)}, rounds=ROUNDS)
    renderer.close()
    env_rate, raw_rate = STEPS / rounds.median("env"), STEPS / rounds.median("raw")
    ratio = rounds.ratio("raw", "env")  # env steps/s / raw steps/s, paired by round
    benchmark.extra_info.update(env_steps_per_s=env_rate, raw_steps_per_s=raw_rate, tabletop_step_render_vs_raw=ratio)
    print(f"\n[{size}px] env {env_rate:.1f} steps/s, raw MuJoCo {raw_rate:.1f} steps/s, ratio {ratio:.3f} (paired by round)")


def _appearance_variants(env: TableTopPickEnv, count: int) -> list[dict]:
    """Scenarios that differ from seed 0's only in texture seed, lighting and camera."""
    base = env.shift.sample(0)
    variants = []
    for i in range(count):
        s = copy.deepcopy(base)
        s["table_texture"] = {"family": ["wood", "marble", "photo_grass", "tiles"][i % 4], "seed": 1_000_000 + i,
                              "overlay": None}
        s["lighting"] = {**s["lighting"], "azimuth_deg": 10.0 * i, "intensity": 0.4 + 0.01 * i}
        s["camera"] = {"position_offset": [0.001 * (i % 5), 0.0, 0.0], "rotation_offset_deg": [0.5 * (i % 3), 0, 0]}
        variants.append(s)
    return variants


def _time_resets(env: TableTopPickEnv, appearance_only: bool, count: int = 40) -> list[float]:
    scenarios = _appearance_variants(env, count) if appearance_only else None
    times = []
    for i in range(count):
        start = time.perf_counter()
        if scenarios is not None:
            env.reset(options={"scenario": scenarios[i]})
        else:
            env.reset(seed=1000 + i)
        times.append(time.perf_counter() - start)
    return times


@pytest.mark.parametrize("kind", ["appearance_only", "new_hard_scenario"])
def test_reset_time(benchmark, kind):
    env = TableTopPickEnv(shift="hard", image_size=224)
    env.reset(seed=0)
    times = benchmark.pedantic(lambda: _time_resets(env, kind == "appearance_only"), rounds=3, iterations=1)
    median_ms = 1000 * statistics.median(times)
    benchmark.extra_info.update(tabletop_reset_ms=median_ms)
    print(f"\n[reset {kind}] median {median_ms:.2f} ms over {len(times)} resets (224 px, first frame included)")


def test_robosuite_lift_84px_side_by_side(benchmark):
    if robosuite_python() is None:
        pytest.skip("no robosuite venv; create it with: bash tests/perf/setup_robosuite_venv.sh")
    env = TableTopPickEnv(shift="id", image_size=84)
    env.reset(seed=0)
    runs: list[dict] = []  # every run, the untimed warm-up round's too

    def robosuite() -> float:
        # A fresh robosuite process each round; its own timing leaves out start-up and warm-up steps.
        # Same control rate as ours (10 Hz), so a step is the same 0.1 s of simulated time on both sides.
        runs.append(measure_robosuite_lift(size=84, steps=100, control_freq=10))
        return 100 / runs[-1]["steps_per_s"]

    rounds = interleaved(benchmark, {"pvmbench": _env_steps(env, STEPS, ACTION), "robosuite": robosuite},
                         rounds=3)
    ours, theirs = STEPS / rounds.median("pvmbench"), 100 / rounds.median("robosuite")
    ratio = rounds.ratio("robosuite", "pvmbench") * STEPS / 100  # steps/s over steps/s, paired by round
    benchmark.extra_info.update(pvmbench_steps_per_s=ours, robosuite_steps_per_s=theirs, robosuite_runs=runs,
                                tabletop_vs_robosuite_lift=ratio)
    for warning in {run["warning"] for run in runs if "warning" in run}:
        print(f"\n[robosuite] WARNING: {warning}")
    print(f"\n[84px] pvmbench {ours:.1f} steps/s (10 Hz control), robosuite Lift {theirs:.1f} "
          f"steps/s ({runs[-1]['control_freq']} Hz control), ratio {ratio:.1f}x")
