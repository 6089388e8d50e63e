#!/usr/bin/env bash
# Rebuilds leaderboard/ from the committed rows in results/published/: figures, shift galleries,
# then the tables and page. Deterministic: tests/integration/test_published_entries.py checks
# that the committed leaderboard/ is what this produces.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=leaderboard
rm -rf "$OUT" && mkdir -p "$OUT/build"
$PVM plot results/published --out "$OUT/build/figures"
$PVM shifts gallery --env pvmbench/TableTopPick-v1 --seeds 4 --image-size 160 --out "$OUT/build/galleries/gallery_tabletop.png"
$PVM shifts gallery --env pvmbench/Highway-v1 --seeds 4 --image-size 160 --levels presets --out "$OUT/build/galleries/gallery_highway.png"
ARGS=()  # globs expand sorted, the order the consistency test uses
for f in "$OUT"/build/figures/*.png; do ARGS+=(--figure "$f"); done
for f in "$OUT"/build/galleries/*.png; do ARGS+=(--gallery "$f"); done
$PVM leaderboard results/published --out "$OUT" "${ARGS[@]}"
rm -rf "$OUT/build"
