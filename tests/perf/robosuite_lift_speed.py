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
    # The first steps pay one-off costs (GL context and shader setup, numba JIT), so keep them untimed.
    for _ in range(a.warmup):
        obs, *_ = env.step(rng.uniform(low, high))
    start = time.perf_counter()
    for _ in range(a.steps):
        obs, *_ = env.step(rng.uniform(low, high))
    elapsed = time.perf_counter() - start
    image = obs[key]

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
        "image_mean": round(float(image.mean()), 1),
    }
    # Broken offscreen GL setups can return all-black frames without raising; a speed figure from
    # such a run is not comparable, so flag it.
    if image.max() == 0:
        result["warning"] = f"camera image {key} is all black; the offscreen renderer is likely broken"
    env.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
