"""Reference throughput of highway-env's highway-fast-v0, for side-by-side speed reports.

highway-env pins its own gymnasium/pygame-ce/pandas, so the measurement runs in a subprocess with
a separate venv made by ``bash tests/perf/setup_highway_env_venv.sh``.
"""

from __future__ import annotations

from pathlib import Path

from tests.perf.side_venv import SideVenv

HIGHWAY_ENV = SideVenv("highway-env", "PVMBENCH_HIGHWAY_ENV_VENV", ".tox/highway-env",
                       "bash tests/perf/setup_highway_env_venv.sh", Path(__file__).with_name("highway_env_speed.py"))


def highway_env_python() -> str | None:
    return HIGHWAY_ENV.python()


def measure_highway_fast(steps: int = 200, size: int = 84, obs: str = "render", seed: int = 0,
                         timeout: float = 600) -> dict:
    """Run highway_env_speed.py in the highway-env venv and return its JSON result.

    obs: "render" (Kinematics observation + an RGB frame from env.render() each step),
    "grayscale" (GrayscaleObservation as the observation) or "none" (no drawing).
    """
    # Not setdefault: SDL_VIDEODRIVER=dummy (common in headless test setups) makes highway-env
    # skip drawing and return black frames.
    overrides = {"SDL_VIDEODRIVER": "offscreen", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    return HIGHWAY_ENV.run([f"--steps={steps}", f"--size={size}", f"--obs={obs}", f"--seed={seed}"], overrides, timeout)
