#!/usr/bin/env bash
# Per-factor rows of the published reference entries: every factor of the suite alone at its `hard`
# setting, on the `id` seed stream (factor levels are paired with id), with the published budgets.
# `id` itself is not rerun: its published rows are the other half of each pair (same episode seeds).
# BC entries: the seed-0 checkpoints, the ones in the repository. Then: bash scripts/build_leaderboard.sh
# Driving (pvmbench/Highway-v1) entries: scripts/publish_highway_v1.sh; Highway-v0's rows are retired.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=results/published
TT=pvmbench/TableTopPick-v0
TT_FACTORS="factor=objects,factor=layout,factor=table_texture,factor=object_appearance,factor=lighting,factor=camera"
rm -f "$OUT"/*_factors.parquet "$OUT"/*_factors.manifest.json

run() {  # agent env factors episodes out
  $PVM eval --agent "$1" --env "$2" --shift "$3" --episodes "$4" --seed 0 --out "$OUT/$5_factors.parquet" --no-progress
}
run scripted        $TT "$TT_FACTORS" 20 tabletop_scripted
run random          $TT "$TT_FACTORS" 20 tabletop_random
run checkpoints/blind_tabletop.pt $TT "$TT_FACTORS" 20 tabletop_blind
for m in cnn_scratch efficientnet-lite0_frozen efficientnet-lite0_partial efficientnet-lite0_full; do
  run "checkpoints/bc_${m}_seed0.pt" $TT "$TT_FACTORS" 20 "tabletop_bc_${m}_seed0"
done
