"""The run manifest: what a run was (command, identity, levels, seeds, versions, git sha, host), beside its rows."""

from __future__ import annotations

import datetime
import os
import pathlib
import platform
import subprocess
import sys

import numpy as np

import pvmbench

# Settings read from the environment that change what an env renders or loads.
ENVIRONMENT_KEYS = ("MUJOCO_GL", "MENAGERIE_ROOT", "PVMBENCH_YCB_DIR")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    import gymnasium
    import mujoco

    out = {"pvmbench": pvmbench.__version__, "mujoco": mujoco.__version__, "gymnasium": gymnasium.__version__,
           "numpy": np.__version__, "python": platform.python_version()}
    try:
        import torch

        out["torch"] = torch.__version__
    except ImportError:
        out["torch"] = "not installed"
    return out


def git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=pathlib.Path(pvmbench.__file__).parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_manifest(plan, run_id: str, resumed_rows: int) -> dict:
    cfg = plan.cfg
    return {
        "run_id": run_id, "status": "running", "command": cfg.command or sys.argv, "identity": plan.identity,
        "levels": plan.levels, "episodes_per_level": cfg.episodes, "num_envs": cfg.num_envs, "workers": cfg.workers,
        "executor": cfg.executor, "score_bounds": list(plan.contract.score_bounds), "versions": versions(),
        "git_sha": git_sha(), "host": platform.node(), "started": now(), "resumed_from_rows": resumed_rows,
        "environment": {k: os.environ.get(k) for k in ENVIRONMENT_KEYS},
    }
