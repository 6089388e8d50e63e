"""Time highway-env's highway-fast-v0 with an 84 px RGB frame every step; print one JSON line.

Runs with the highway-env venv's python (see setup_highway_env_venv.sh), not pvmbench's:
    SDL_VIDEODRIVER=offscreen .tox/highway-env/bin/python tests/perf/highway_env_speed.py

highway-env 1.12.1 has no RGB image observation (its only image observation is
GrayscaleObservation), so the default --obs=render keeps highway-fast-v0's own observation
(Kinematics) and takes the RGB frame from env.render() with screen_width = screen_height = --size
and offscreen_rendering=True. Note that after the first render() highway-env also draws each
intermediate simulation frame inside step() (highway-fast-v0: simulation_frequency 5,
policy_frequency 1, so 5 draws per step); that is its stock behaviour and is kept.
--obs=grayscale instead uses GrayscaleObservation(size x size, stack 1) as the observation: one
draw per step, converted to grey, and no Kinematics observation (which highway-env computes with
pandas and costs about as much as the whole simulation).
--obs=none times the simulation alone (Kinematics observation, no drawing).
"""

import argparse
import json
import os
import statistics
import time

# SDL's "dummy" driver makes highway-env switch its drawing off (EnvViewer.enabled = False): frames
# come back all black. "offscreen" draws normally without a display. Set before pygame is imported.
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import gymnasium as gym  # noqa: E402
import highway_env  # noqa: E402,F401  (registers highway-fast-v0)
import numpy as np  # noqa: E402

ENV_ID = "highway-fast-v0"


def frame_problem(first: np.ndarray, last: np.ndarray) -> str | None:
    """Why the frames look wrong, or None."""
    if last.max() == 0:
        return "all black"
    if last.min() == last.max():
        return "constant (a single colour)"
    if np.array_equal(first, last):
        return "frozen (identical before and after the timed steps)"
    return None


def make_env(obs: str, size: int) -> gym.Env:
    config: dict = {"screen_width": size, "screen_height": size, "offscreen_rendering": True}
    if obs == "grayscale":
        config["observation"] = {
            "type": "GrayscaleObservation",
            "observation_shape": (size, size),
            "stack_size": 1,
            "weights": [0.2989, 0.5870, 0.1140],
        }
    return gym.make(ENV_ID, render_mode=None if obs == "none" else "rgb_array", config=config)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--obs", choices=["render", "grayscale", "none"], default="render")
    p.add_argument("--size", type=int, default=84)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    env = make_env(a.obs, a.size)

    def frame_of(obs) -> np.ndarray | None:
        if a.obs == "render":
            return env.render()  # H x W x 3 uint8
        if a.obs == "grayscale":
            return obs[-1]  # newest frame of the stack, H x W uint8
        return None

    obs, _ = env.reset(seed=a.seed)
    frame = frame_of(obs)
    # highway-env replaces env.action_space on every reset (define_spaces), which would drop its
    # seed, so sample from this one seeded copy (highway-fast-v0's DiscreteMetaAction: Discrete(5)).
    actions = env.action_space
    actions.seed(a.seed)
    # The first steps pay one-off costs (pygame/font init, first viewer), so keep them untimed.
    for _ in range(a.warmup):
        obs, _, terminated, truncated, _ = env.step(actions.sample())
        frame = frame_of(obs)
        if terminated or truncated:
            obs, _ = env.reset()
    first = frame.copy() if frame is not None else None

    # Random actions crash often and highway-fast-v0's episodes last 30 steps, so the timed loop
    # resets on done: those resets are inside the elapsed time and also timed on their own.
    reset_s = []
    start = time.perf_counter()
    for _ in range(a.steps):
        obs, _, terminated, truncated, _ = env.step(actions.sample())
        frame = frame_of(obs)
        if terminated or truncated:
            t = time.perf_counter()
            obs, _ = env.reset()
            reset_s.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    last = frame

    result = {
        "steps_per_s": round(a.steps / elapsed, 2),
        "steps_per_s_excl_resets": round(a.steps / (elapsed - sum(reset_s)), 2),
        "reset_ms": round(1000 * statistics.median(reset_s), 2) if reset_s else None,
        "resets": len(reset_s),
        "obs": a.obs,
        "obs_shape": list(last.shape) if last is not None else list(np.asarray(obs).shape),
        "frame_mean": round(float(last.mean()), 2) if last is not None else None,
        "frame_std": round(float(last.std()), 2) if last is not None else None,
        "env": ENV_ID,
        "highway_env": highway_env.__version__,
        "gymnasium": gym.__version__,
        "sdl_videodriver": os.environ.get("SDL_VIDEODRIVER", ""),
        "steps": a.steps,
        "seed": a.seed,
    }
    # A run that didn't really draw is faster and meaningless, so flag it.
    problem = frame_problem(first, last) if last is not None else None
    if problem:
        hint = (
            " (SDL_VIDEODRIVER=dummy turns highway-env's drawing off; use offscreen)"
            if (result["sdl_videodriver"] == "dummy")
            else ""
        )
        result["warning"] = f"frames are {problem}: nothing was drawn, so steps_per_s is not comparable{hint}"
    env.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
