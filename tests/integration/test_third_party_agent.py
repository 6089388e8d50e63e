"""A third-party package that declares a `pvmbench.agents` entry point just works."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pandas as pd

AGENT_MODULE = '''
import numpy as np


class HoldStill:
    """Keeps the gripper open and does not move: a minimal Agent written against the public API."""

    def __init__(self, checkpoint, observation_space, action_space, num_envs):
        self.num_envs, self.shape = num_envs, action_space.shape

    def reset(self, done_mask):
        pass

    def act(self, obs):
        actions = np.zeros((self.num_envs, *self.shape), dtype=np.float32)
        actions[:, -1] = -1.0
        return actions
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "hold-still-agent"
version = "0.0.1"

[project.entry-points."pvmbench.agents"]
hold-still = "hold_still:HoldStill"
'''


def test_entry_point_agent_is_listed_and_evaluates(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (pkg / "hold_still.py").write_text(textwrap.dedent(AGENT_MODULE))
    site = tmp_path / "site"
    # A real install (wheel build, dist-info with entry_points.txt) into its own directory, so
    # the test venv is left as it was.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(pkg)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}

    listed = subprocess.run([sys.executable, "-m", "pvmbench.cli", "agents"], env=env, capture_output=True,
                            text=True, check=True)
    line = next(line for line in listed.stdout.splitlines() if line.startswith("hold-still"))
    assert "hold-still-agent" in line

    out = tmp_path / "hold.parquet"
    subprocess.run([sys.executable, "-m", "pvmbench.cli", "eval", "--agent", "hold-still", "--shift", "id",
                    "--episodes", "2", "--image-size", "64", "--workers", "0", "--no-progress", "--out", str(out)],
                   env=env, check=True, capture_output=True)
    rows = pd.read_parquet(out)
    assert list(rows["agent"]) == ["hold-still", "hold-still"] and (rows["status"] == "ok").all()
    assert not rows["success"].any()


def test_without_the_package_the_agent_is_unknown():
    result = subprocess.run([sys.executable, "-m", "pvmbench.cli", "agents"], capture_output=True, text=True, check=True)
    assert "hold-still" not in result.stdout
