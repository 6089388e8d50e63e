#!/usr/bin/env bash
# Rebuilds leaderboard/ from the committed rows in results/published/: figures, shift galleries,
# then the tables and page. Deterministic: tests/integration/test_published_leaderboard.py checks
# that the committed leaderboard/ is what this produces.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=leaderboard
rm -rf "$OUT" && mkdir -p "$OUT/build"
$PVM plot results/published --out "$OUT/build/figures"
$PVM shifts gallery --env pvmbench/TableTopPick-v0 --seeds 4 --image-size 160 --out "$OUT/build/gallery_tabletop.png"
$PVM shifts gallery --env pvmbench/Highway-v0 --seeds 4 --image-size 160 --levels presets --out "$OUT/build/gallery_highway.png"
FIGS=()
for f in "$OUT"/build/figures/*.png; do FIGS+=(--figure "$f"); done
$PVM leaderboard results/published --out "$OUT" "${FIGS[@]}" \
  --gallery "$OUT/build/gallery_tabletop.png" --gallery "$OUT/build/gallery_highway.png"
rm -rf "$OUT/build"
