"""Run a measurement script in a separate venv and read back its JSON result.

The reference simulators pin versions pvmbench cannot share (robosuite needs mujoco<=3.9, highway-env
its own gymnasium/pygame-ce), so each lives in a venv made by its setup script under .tox/.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class SideVenvMissing(RuntimeError):
    """The reference venv has not been created."""


@dataclasses.dataclass(frozen=True)
class SideVenv:
    name: str  # for messages: "robosuite", "highway-env"
    env_var: str  # overrides the venv's location
    default: str  # relative to the repo root, as the setup script makes it
    setup_command: str
    script: Path

    def venv(self) -> Path:
        venv = Path(os.environ.get(self.env_var, self.default))
        return venv if venv.is_absolute() else REPO_ROOT / venv

    def python(self) -> str | None:
        python = self.venv() / "bin" / "python"
        return str(python) if python.exists() else None

    def run(self, args: list[str], env_overrides: dict[str, str], timeout: float) -> dict:
        python = self.python()
        if python is None:
            raise SideVenvMissing(f"no {self.name} venv at {self.venv()}; create it with: {self.setup_command}")
        env = {**os.environ, **env_overrides}
        # -I: isolated, so PYTHONPATH etc. inherited from pvmbench's environment cannot leak in.
        cmd = [python, "-I", str(self.script), *args]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} measurement failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                               f"{proc.stderr[-3000:]}")
        # The simulators log to stdout too; the result is the last JSON line.
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"{self.name} measurement printed no JSON:\n{proc.stdout[-3000:]}")
        return json.loads(lines[-1])
