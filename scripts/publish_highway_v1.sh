#!/usr/bin/env bash
# Every published pvmbench/Highway-v1 entry: the built-in agents (random, scripted-driver), the blind
# baseline (grid-searched here) and the BC checkpoints given as arguments, at id/easy/hard, along the
# severity sweep and per factor (fog, rain, wet_road, clouds, darkness), all on the same episode seeds
# (every level of a run is paired with id). Budgets: 20 episodes per level, 10 per sweep point and
# factor. Usage: bash scripts/publish_highway_v1.sh [checkpoint.pt ...]; then bash scripts/build_leaderboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=results/published
HW=pvmbench/Highway-v1
SWEEP="severity=0,0.25,0.5,0.75,1"
FACTORS="factor=fog,factor=rain,factor=wet_road,factor=clouds,factor=darkness"
mkdir -p "$OUT" checkpoints

publish() {  # agent name
  $PVM eval --agent "$1" --env $HW --shift all      --episodes 20 --seed 0 --out "$OUT/$2.parquet" --no-progress
  $PVM eval --agent "$1" --env $HW --shift $SWEEP   --episodes 10 --seed 0 --out "$OUT/$2_sweep.parquet" --no-progress
  $PVM eval --agent "$1" --env $HW --shift $FACTORS --episodes 10 --seed 0 --out "$OUT/$2_factors.parquet" --no-progress
}

if [ "$#" -eq 0 ]; then
  rm -f "$OUT"/highway_random* "$OUT"/highway_scripted-driver* "$OUT"/highway_blind*
  $PVM train --algo blind --env $HW --episodes 3 --seed 0 --out checkpoints/blind_highway.pt --no-progress
  publish random highway_random
  publish scripted-driver highway_scripted-driver
  publish checkpoints/blind_highway.pt highway_blind
fi
for ckpt in "$@"; do
  name=$(basename "$ckpt" .pt)
  rm -f "$OUT/highway_bc_${name#bc_highway_}".* "$OUT/highway_bc_${name#bc_highway_}"_*  # bc_highway_cnn_scratch_seed1.pt -> highway_bc_cnn_scratch_seed1*
  publish "$ckpt" "highway_bc_${name#bc_highway_}"
done
