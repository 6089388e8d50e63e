"""Reference throughput of highway-env's highway-fast-v0, for side-by-side speed reports.

highway-env pins its own gymnasium/pygame-ce/pandas, so the measurement runs in a subprocess with
a separate venv made by ``bash tests/perf/setup_highway_env_venv.sh``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("highway_env_speed.py")
SETUP_COMMAND = "bash tests/perf/setup_highway_env_venv.sh"


class HighwayEnvVenvMissing(RuntimeError):
    """The highway-env venv has not been created."""


def highway_env_venv() -> Path:
    venv = Path(os.environ.get("PVMBENCH_HIGHWAY_ENV_VENV", ".tox/highway-env"))
    return venv if venv.is_absolute() else REPO_ROOT / venv  # same base as the setup script


def highway_env_python() -> str | None:
    python = highway_env_venv() / "bin" / "python"
    return str(python) if python.exists() else None


def measure_highway_fast(
    steps: int = 200,
    size: int = 84,
    obs: str = "render",
    seed: int = 0,
    timeout: float = 600,
) -> dict:
    """Run highway_env_speed.py in the highway-env venv and return its JSON result.

    obs: "render" (Kinematics observation + an RGB frame from env.render() each step),
    "grayscale" (GrayscaleObservation as the observation) or "none" (no drawing).
    """
    python = highway_env_python()
    if python is None:
        raise HighwayEnvVenvMissing(
            f"no highway-env venv at {highway_env_venv()}; create it with: {SETUP_COMMAND}"
        )
    env = dict(os.environ)
    # Not setdefault: SDL_VIDEODRIVER=dummy (common in headless test setups) makes highway-env
    # skip drawing and return black frames.
    env["SDL_VIDEODRIVER"] = "offscreen"
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    cmd = [
        python,
        "-I",  # isolated: ignore PYTHONPATH etc. inherited from pvmbench's environment
        str(SCRIPT),
        f"--steps={steps}",
        f"--size={size}",
        f"--obs={obs}",
        f"--seed={seed}",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"highway-env measurement failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}"
        )
    # The result is the last JSON line on stdout.
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"highway-env measurement printed no JSON:\n{proc.stdout[-3000:]}")
    return json.loads(lines[-1])
