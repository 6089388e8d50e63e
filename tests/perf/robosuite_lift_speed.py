"""Time robosuite's Lift with one camera observation; print one JSON line.

Runs with the robosuite venv's python (see setup_robosuite_venv.sh), not pvmbench's:
    MUJOCO_GL=egl .tox/robosuite/bin/python tests/perf/robosuite_lift_speed.py --camera agentview
"""

import argparse
import json
import os
import statistics
import time

import mujoco
import numpy as np
import robosuite


def frame_problem(first: np.ndarray, last: np.ndarray) -> str | None:
    """Why the camera frames look wrong, or None. Broken offscreen GL often fails silently."""
    if last.max() == 0:
        return "all black"
    # Real renders have smooth neighbouring pixels (mean |diff| ~2-5); llvmpipe garbage is noise (~50).
    if np.abs(np.diff(last.astype(np.int16), axis=1)).mean() > 25:
        return "random noise"
    if np.array_equal(first, last):
        return "frozen (identical before and after the timed steps)"
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--camera", default="robot0_eye_in_hand")
    p.add_argument("--size", type=int, default=84)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--control-freq", type=int, default=20)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--resets", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    env = robosuite.make(
        "Lift",
        robots="Panda",
        has_renderer=False,
        has_offscreen_renderer=True,
        use_camera_obs=True,
        camera_names=a.camera,
        camera_heights=a.size,
        camera_widths=a.size,
        control_freq=a.control_freq,
        horizon=10**9,  # never hit the horizon inside the timed loop
        ignore_done=True,
        # Seeds robosuite's own randomness (initial joint noise, cube placement): where the arm
        # wanders decides what the camera sees, and with software GL that changes the render cost.
        seed=a.seed,
    )
    rng = np.random.default_rng(a.seed)
    low, high = env.action_spec
    key = f"{a.camera}_image"

    obs = env.reset()
    # The first steps pay one-off costs (shader compilation, loading numba's cache), so keep them untimed.
    for _ in range(a.warmup):
        obs, *_ = env.step(rng.uniform(low, high))
    first = obs[key].copy()
    start = time.perf_counter()
    for _ in range(a.steps):
        obs, *_ = env.step(rng.uniform(low, high))
    elapsed = time.perf_counter() - start
    last = obs[key]

    # robosuite's default reset is a hard reset: it rebuilds the model and the offscreen renderer.
    reset_s = []
    for _ in range(a.resets):
        t = time.perf_counter()
        env.reset()
        reset_s.append(time.perf_counter() - t)

    result = {
        "steps_per_s": round(a.steps / elapsed, 2),
        "reset_ms": round(1000 * statistics.median(reset_s), 1),
        "camera": a.camera,
        "size": a.size,
        "control_freq": a.control_freq,
        "robosuite": robosuite.__version__,
        "mujoco": mujoco.__version__,
        "mujoco_gl": os.environ.get("MUJOCO_GL", ""),
        "steps": a.steps,
        "seed": a.seed,
        "image_mean": round(float(last.mean()), 1),
    }
    # A run that didn't really render is fast and meaningless, so flag it. Seen here: when numba
    # JIT-compiles robosuite's kernels inside a process already using Mesa's llvmpipe (cold numba
    # cache), llvmpipe stops drawing: later frames are noise or a stale copy, and steps look ~10x
    # faster. setup_robosuite_venv.sh fills that cache to prevent it.
    problem = frame_problem(first, last)
    if problem:
        result["warning"] = (
            f"camera image {key} is {problem}: the offscreen renderer is broken, so steps_per_s is not "
            "comparable (if numba's cache was cold, rerun tests/perf/setup_robosuite_venv.sh)"
        )
    env.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
