"""Reference throughput of robosuite's Lift, for side-by-side speed reports.

robosuite 1.5.2 needs mujoco<=3.9 while pvmbench needs mujoco 4, so the measurement runs in a
subprocess with a separate venv made by ``bash tests/perf/setup_robosuite_venv.sh``.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.perf.side_venv import SideVenv

ROBOSUITE = SideVenv("robosuite", "PVMBENCH_ROBOSUITE_VENV", ".tox/robosuite", "bash tests/perf/setup_robosuite_venv.sh",
                     Path(__file__).with_name("robosuite_lift_speed.py"))


def robosuite_python() -> str | None:
    return ROBOSUITE.python()


def measure_robosuite_lift(size: int = 84, steps: int = 200, camera: str = "robot0_eye_in_hand",
                           control_freq: int = 20, timeout: float = 900) -> dict:
    """Run robosuite_lift_speed.py in the robosuite venv and return its JSON result."""
    args = [f"--size={size}", f"--steps={steps}", f"--camera={camera}", f"--control-freq={control_freq}"]
    return ROBOSUITE.run(args, {"MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}, timeout)
