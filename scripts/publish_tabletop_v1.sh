#!/usr/bin/env bash
# Every published pvmbench/TableTopPick-v1 entry: the built-in agents (random, the scripted oracle), the
# blind baseline (grid-searched here) and the BC checkpoints given as arguments, at id/easy/hard, along
# the severity sweep and per factor, all on the same episode seeds (every level of a run is paired with
# id). Budgets: 20 episodes per level, 10 per sweep point and factor.
# Usage: bash scripts/publish_tabletop_v1.sh [checkpoint.pt ...]; then bash scripts/build_leaderboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=results/published
TT=pvmbench/TableTopPick-v1
SWEEP="severity=0,0.25,0.5,0.75,1"
FACTORS="factor=objects,factor=layout,factor=table_texture,factor=object_appearance,factor=lighting,factor=camera"
mkdir -p "$OUT" checkpoints

publish() {  # agent name
  $PVM eval --agent "$1" --env $TT --shift all      --episodes 20 --seed 0 --out "$OUT/$2.parquet" --no-progress
  $PVM eval --agent "$1" --env $TT --shift $SWEEP   --episodes 10 --seed 0 --out "$OUT/$2_sweep.parquet" --no-progress
  $PVM eval --agent "$1" --env $TT --shift $FACTORS --episodes 10 --seed 0 --out "$OUT/$2_factors.parquet" --no-progress
}

if [ "$#" -eq 0 ]; then
  rm -f "$OUT"/tabletop_v1_random* "$OUT"/tabletop_v1_scripted* "$OUT"/tabletop_v1_blind*
  $PVM train --algo blind --env $TT --episodes 3 --seed 0 --out checkpoints/blind_tabletop_v1.pt --no-progress
  publish random tabletop_v1_random
  publish scripted tabletop_v1_scripted
  publish checkpoints/blind_tabletop_v1.pt tabletop_v1_blind
fi
for ckpt in "$@"; do
  name=$(basename "$ckpt" .pt)  # bc_tabletop_v1_cnn_scratch_seed1 -> tabletop_v1_bc_cnn_scratch_seed1*
  rm -f "$OUT/tabletop_v1_bc_${name#bc_tabletop_v1_}".* "$OUT/tabletop_v1_bc_${name#bc_tabletop_v1_}"_*
  publish "$ckpt" "tabletop_v1_bc_${name#bc_tabletop_v1_}"
done
