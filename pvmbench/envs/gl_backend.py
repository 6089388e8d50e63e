"""The one place that chooses MuJoCo's headless GL backend.

MUJOCO_GL must be set before mujoco is imported; pvmbench.envs imports this module first, so
any pvmbench env gets it. A user's own MUJOCO_GL (egl or osmesa) is respected.
"""

from __future__ import annotations

import os

SUPPORTED_BACKENDS = ("egl", "osmesa")
DEFAULT_BACKEND = "egl"

os.environ.setdefault("MUJOCO_GL", DEFAULT_BACKEND)
if os.environ["MUJOCO_GL"] == "osmesa":
    # PyOpenGL reads its own variable; keep the two in step.
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")


def gl_backend() -> str:
    return os.environ["MUJOCO_GL"]
