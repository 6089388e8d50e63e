#!/usr/bin/env bash
# Create the separate virtualenv used to measure robosuite's Lift as a speed reference.
# It can't share pvmbench's venv: robosuite 1.5.2 breaks on mujoco>=3.10 (3.10 changed mj_fullM's
# signature, 3.11 removed MjData.qM, later ones trip a joint-type assert), and pvmbench needs mujoco 4.
# Safe to rerun: pip runs only when the venv is new or the pins below changed.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the venv path is relative to the repo root
VENV="${PVMBENCH_ROBOSUITE_VENV:-.tox/robosuite}"
PYTHON="${PYTHON:-python3.11}"
# mujoco 3.9.0 is the newest release robosuite 1.5.2 runs on; numpy<2 because mink 0.0.5
# (a robosuite dependency) requires it.
PINS=(robosuite==1.5.2 mujoco==3.9.0 "numpy<2")

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
STAMP="$VENV/.pvmbench-pins"
if [ "$(cat "$STAMP" 2>/dev/null)" != "${PINS[*]}" ]; then
  # robosuite doesn't need torch; should a dependency ever pull it in, the constraint keeps it to
  # the CPU wheel instead of a multi-GB CUDA one.
  "$VENV/bin/python" -m pip install --quiet "${PINS[@]}" --constraint <(echo "torch==2.13.0")
  echo "${PINS[*]}" >"$STAMP"
fi
# Smoke test that also fills numba's on-disk cache of robosuite's jitted kernels. Numba compiling
# inside a process that already uses Mesa's llvmpipe (EGL or OSMesa) stops llvmpipe drawing (later
# frames are noise or stale), so the compile happens here, with no GL context, and the
# measurement only loads the cache.
# robosuite's log goes to a file, shown only if this fails.
"$VENV/bin/python" - 2>"$VENV/smoke-test.log" <<'PY' || { cat "$VENV/smoke-test.log" >&2; exit 1; }
import mujoco, numpy as np, robosuite
env = robosuite.make("Lift", robots="Panda", has_renderer=False, has_offscreen_renderer=False, use_camera_obs=False)
env.reset()
for _ in range(3):
    env.step(np.zeros(env.action_dim))
print("robosuite", robosuite.__version__, "mujoco", mujoco.__version__)
PY
echo "$(cd "$VENV" && pwd)/bin/python"
