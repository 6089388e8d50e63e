#!/usr/bin/env bash
# Re-evaluates the published reference entries into results/published/ (about 5 minutes on 2
# cores). Run after a reviewed change that moves them, then rebuild the leaderboard with
# scripts/build_leaderboard.sh. Seeds and budgets here are the published ones: keep them fixed.
# Driving (pvmbench/Highway-v1) entries: scripts/publish_highway_v1.sh; Highway-v0's rows are retired.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=results/published
mkdir -p "$OUT"
# Only the built-in entries' files: the BC rows (scripts/publish_bc_results.sh) come from checkpoints that
# are not all in the repository, so deleting them would lose published data.
for agent in scripted random; do
  rm -f "$OUT"/tabletop_"$agent".* "$OUT"/tabletop_"$agent"_sweep.*
done

TT=pvmbench/TableTopPick-v0
SWEEP="severity=0,0.25,0.5,0.75,1"
$PVM eval --agent scripted        --env $TT --shift all    --episodes 20 --seed 0 --out $OUT/tabletop_scripted.parquet
$PVM eval --agent random          --env $TT --shift all    --episodes 20 --seed 0 --out $OUT/tabletop_random.parquet
$PVM eval --agent scripted        --env $TT --shift $SWEEP --episodes 10 --seed 0 --out $OUT/tabletop_scripted_sweep.parquet
$PVM eval --agent random          --env $TT --shift $SWEEP --episodes 10 --seed 0 --out $OUT/tabletop_random_sweep.parquet
