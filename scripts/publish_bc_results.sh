#!/usr/bin/env bash
# Evaluates BC reference checkpoints into results/published/, one file pair per checkpoint: every level,
# then the severity sweep. About 1 minute per table-top checkpoint on 2 cores; a driving checkpoint
# (500-step episodes, so smaller budgets) takes 3 (cnn) to 10 (efficientnet-lite0) minutes. Pass checkpoint files; the default
# is every bc_*.pt in checkpoints/ (seed 0 of each configuration; checkpoints/MANIFEST.json lists the
# other seeds, whose rows are published too, and the command that trains them). Rows of checkpoints not
# named here are left alone. Rebuild the leaderboard afterwards with scripts/build_leaderboard.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
OUT=results/published
mkdir -p "$OUT"
if [ $# -eq 0 ]; then set -- checkpoints/bc_*.pt; fi
for ckpt in "$@"; do
  base="$(basename "$ckpt" .pt)"
  case "$base" in
    bc_highway_*) name="highway_bc_${base#bc_highway_}"; levels=10; sweep=3 ;;
    *)            name="tabletop_$base";                 levels=20; sweep=10 ;;
  esac
  rm -f "$OUT/$name".parquet "$OUT/$name".manifest.json "$OUT/${name}_sweep".parquet "$OUT/${name}_sweep".manifest.json
  $PVM eval --agent "$ckpt" --shift all --episodes $levels --seed 0 --out "$OUT/$name.parquet" --no-progress
  $PVM eval --agent "$ckpt" --shift severity=0,0.25,0.5,0.75,1 --episodes $sweep --seed 0 \
    --out "$OUT/${name}_sweep.parquet" --no-progress
done
