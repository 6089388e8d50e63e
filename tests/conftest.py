import os

# Tests render offscreen with the software EGL (or OSMesa, if the caller chose it) renderer.
os.environ.setdefault("MUJOCO_GL", "egl")
