#!/usr/bin/env bash
# Create the separate virtualenv used to measure highway-env's highway-fast-v0 as a speed reference
# for pvmbench/Highway-v0. Kept apart from pvmbench's venv so its pins (gymnasium, pygame-ce,
# pandas, numpy) can't disturb pvmbench's own.
# Safe to rerun: pip runs only when the venv is new or the pins below changed.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the venv path is relative to the repo root
VENV="${PVMBENCH_HIGHWAY_ENV_VENV:-.tox/highway-env}"
PYTHON="${PYTHON:-python3.11}"
# highway-env 1.12.1 (requires Python>=3.10) draws with pygame-ce, not pygame: the two install the
# same `pygame` module, so never add pygame here. gymnasium and pygame-ce are pinned to the
# versions this was measured with.
PINS=(highway-env==1.12.1 gymnasium==1.4.0 pygame-ce==2.5.8)

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
STAMP="$VENV/.pvmbench-pins"
if [ "$(cat "$STAMP" 2>/dev/null)" != "${PINS[*]}" ]; then
  # highway-env doesn't need torch; should a dependency ever pull it in, the constraint keeps it to
  # the CPU wheel instead of a multi-GB CUDA one.
  "$VENV/bin/python" -m pip install --quiet "${PINS[@]}" --constraint <(echo "torch==2.13.0")
  echo "${PINS[*]}" >"$STAMP"
fi
# Smoke test: one 84 px offscreen frame must have content. SDL_VIDEODRIVER=dummy would make
# highway-env skip all drawing (black frames), so use the offscreen driver.
SDL_VIDEODRIVER=offscreen PYGAME_HIDE_SUPPORT_PROMPT=1 "$VENV/bin/python" - 2>"$VENV/smoke-test.log" <<'PY' \
  || { cat "$VENV/smoke-test.log" >&2; exit 1; }
import gymnasium as gym, highway_env
env = gym.make("highway-fast-v0", render_mode="rgb_array",
               config={"screen_width": 84, "screen_height": 84, "offscreen_rendering": True})
env.reset(seed=0)
env.step(env.action_space.sample())
frame = env.render()
assert frame.shape == (84, 84, 3) and frame.std() > 0, f"bad frame {frame.shape} std={frame.std()}"
env.close()
print("highway-env", highway_env.__version__, "gymnasium", gym.__version__)
PY
echo "$(cd "$VENV" && pwd)/bin/python"
