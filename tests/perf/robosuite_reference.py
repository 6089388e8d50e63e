"""Reference throughput of robosuite's Lift, for side-by-side speed reports.

robosuite 1.5.2 needs mujoco<=3.9 while pvmbench needs mujoco 4, so the measurement runs in a
subprocess with a separate venv made by ``bash tests/perf/setup_robosuite_venv.sh``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("robosuite_lift_speed.py")
SETUP_COMMAND = "bash tests/perf/setup_robosuite_venv.sh"


class RobosuiteVenvMissing(RuntimeError):
    """The robosuite venv has not been created."""


def robosuite_venv() -> Path:
    venv = Path(os.environ.get("PVMBENCH_ROBOSUITE_VENV", ".tox/robosuite"))
    return venv if venv.is_absolute() else REPO_ROOT / venv  # same base as the setup script


def robosuite_python() -> str | None:
    python = robosuite_venv() / "bin" / "python"
    return str(python) if python.exists() else None


def measure_robosuite_lift(
    size: int = 84,
    steps: int = 200,
    camera: str = "robot0_eye_in_hand",
    control_freq: int = 20,
    timeout: float = 900,
) -> dict:
    """Run robosuite_lift_speed.py in the robosuite venv and return its JSON result."""
    python = robosuite_python()
    if python is None:
        raise RobosuiteVenvMissing(
            f"no robosuite venv at {robosuite_venv()}; create it with: {SETUP_COMMAND}"
        )
    env = dict(os.environ)
    env.setdefault("MUJOCO_GL", "egl")
    cmd = [
        python,
        "-I",  # isolated: ignore PYTHONPATH etc. inherited from pvmbench's environment
        str(SCRIPT),
        f"--size={size}",
        f"--steps={steps}",
        f"--camera={camera}",
        f"--control-freq={control_freq}",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"robosuite measurement failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}"
        )
    # robosuite logs to the console too; the result is the last JSON line on stdout.
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"robosuite measurement printed no JSON:\n{proc.stdout[-3000:]}")
    return json.loads(lines[-1])
