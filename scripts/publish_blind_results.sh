#!/usr/bin/env bash
# The blind baseline of each env: grid-search the best constant action at `id` on the "blind-search" seed
# stream (disjoint from evaluation), save it to checkpoints/, and publish its rows at every level and
# along the severity sweep, with the same seeds and budgets as the other built-in entries
# (scripts/publish_results.sh). About 10 minutes on 2 cores. Then: bash scripts/build_leaderboard.sh
# Driving (pvmbench/Highway-v1) entries: scripts/publish_highway_v1.sh; Highway-v0's rows are retired.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=results/published
SWEEP="severity=0,0.25,0.5,0.75,1"
mkdir -p "$OUT" checkpoints
rm -f "$OUT"/tabletop_blind*

$PVM train --algo blind --env pvmbench/TableTopPick-v0 --episodes 3 --seed 0 --out checkpoints/blind_tabletop.pt --no-progress
$PVM eval --agent checkpoints/blind_tabletop.pt --shift all    --episodes 20 --seed 0 --out $OUT/tabletop_blind.parquet --no-progress
$PVM eval --agent checkpoints/blind_tabletop.pt --shift $SWEEP --episodes 10 --seed 0 --out $OUT/tabletop_blind_sweep.parquet --no-progress
