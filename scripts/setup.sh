#!/usr/bin/env bash
# Sets up pvmbench in ./.venv on a fresh Debian/Ubuntu machine with Python 3.11.
# Installs the Debian GL libraries for headless MuJoCo when run as root or with sudo; otherwise
# prints the exact apt-get line to run. Installs the CPU torch 2.13.0 before the package, because
# a looser torch requirement would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

GL_PACKAGES="libegl1 libopengl0 libgl1-mesa-dri libosmesa6"
missing=""
for pkg in $GL_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $GL_PACKAGES >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $GL_PACKAGES >/dev/null
  else
    echo "pvmbench: headless rendering needs:  sudo apt-get update && sudo apt-get install -y $GL_PACKAGES" >&2
    exit 1
  fi
fi

# Debian's Chromium renders the leaderboard page in the browser test (optional: that one test is
# skipped without it).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  else
    echo "pvmbench: optional, for the leaderboard page test:  sudo apt-get install -y chromium" >&2
  fi
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "pvmbench needs Python 3.11+"'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[dev,plots,ray,hf,efficientnet]"
echo "pvmbench: ready in .venv ($(.venv/bin/python -c 'import pvmbench; print(pvmbench.__version__)'))"
