"""Table-top speed, as ratios to baselines measured in the same process.

Run: tox -e perf   (or: pytest tests/perf --benchmark-enable -s)
Baselines: raw MuJoCo stepping (the same substeps) and rendering (the same camera, size and
render flags) on the env's own compiled model; robosuite's Lift at 84 px in its own venv.
Figures go to BENCHMARKS.md. No assertions on time: these machines are noisy.
"""

from __future__ import annotations

import copy
import statistics
import time

import mujoco
import numpy as np
import pytest

from pvmbench.envs.tabletop.env import SUBSTEPS, TableTopPickEnv
from tests.perf.robosuite_reference import measure_robosuite_lift, robosuite_python

STEPS = 100
RESULTS: dict[str, float] = {}


def _raw_step_render(env: TableTopPickEnv, size: int, steps: int) -> float:
    """Seconds per step for plain mj_step x SUBSTEPS + render, on a copy of the env's state."""
    model = env.model
    data = copy.copy(env.data)
    renderer = mujoco.Renderer(model, height=size, width=size)
    for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION, mujoco.mjtRndFlag.mjRND_SKYBOX):
        renderer.scene.flags[flag] = 0
    option = mujoco.MjvOption()
    camera = env.tm.cameras[env.camera]
    data.ctrl[:] = env.data.ctrl
    start = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data, nstep=SUBSTEPS)
        renderer.update_scene(data, camera=camera, scene_option=option)
        renderer.render()
    elapsed = (time.perf_counter() - start) / steps
    renderer.close()
    return elapsed


@pytest.mark.parametrize("size", [84, 224])
def test_step_render_ratio_to_raw_mujoco(benchmark, size):
    env = TableTopPickEnv(shift="id", image_size=size)
    env.reset(seed=0)
    action = np.array([0.2, -0.1, -0.3, -1.0], dtype=np.float32)

    def run():
        env.reset(seed=0)
        for _ in range(49):  # an episode's worth of steps, reset outside the timed steps' count
            env.step(action)

    raw = min(_raw_step_render(env, size, STEPS) for _ in range(3))
    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    reset_s = statistics.median(_time_resets(env, appearance_only=True))
    per_step = (benchmark.stats.stats.median - reset_s) / 49
    ratio = raw / per_step
    benchmark.extra_info.update(env_steps_per_s=1 / per_step, raw_steps_per_s=1 / raw, ratio=ratio)
    RESULTS[f"env_{size}"] = 1 / per_step
    print(f"\n[{size}px] env {1 / per_step:.1f} steps/s, raw MuJoCo {1 / raw:.1f} steps/s, ratio {ratio:.3f}")


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
    benchmark.extra_info.update(median_reset_ms=median_ms)
    print(f"\n[reset {kind}] median {median_ms:.2f} ms over {len(times)} resets (224 px, first frame included)")


def test_robosuite_lift_84px_side_by_side(benchmark):
    if robosuite_python() is None:
        pytest.skip("no robosuite venv; create it with: bash tests/perf/setup_robosuite_venv.sh")
    env = TableTopPickEnv(shift="id", image_size=84)
    env.reset(seed=0)
    action = np.array([0.2, -0.1, -0.3, -1.0], dtype=np.float32)

    def ours():
        env.reset(seed=0)
        for _ in range(49):
            env.step(action)

    benchmark.pedantic(ours, rounds=5, iterations=1, warmup_rounds=1)
    ours_steps = 49 / benchmark.stats.stats.median
    # Same control rate as ours (10 Hz), so a step is the same 0.1 s of simulated time on both sides.
    theirs = measure_robosuite_lift(size=84, steps=100, control_freq=10)
    ratio = ours_steps / theirs["steps_per_s"]
    benchmark.extra_info.update(pvmbench_steps_per_s=ours_steps, robosuite=theirs, ratio=ratio)
    print(f"\n[84px] pvmbench {ours_steps:.1f} steps/s (10 Hz control), robosuite Lift {theirs['steps_per_s']:.1f} "
          f"steps/s ({theirs['control_freq']} Hz control), ratio {ratio:.1f}x")
