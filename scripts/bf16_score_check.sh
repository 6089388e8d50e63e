#!/usr/bin/env bash
# What `pvmbench eval --inference-dtype bfloat16` does to scores: evaluates BC checkpoints in float32 and in
# bfloat16 on the same episodes (same --seed, so the same scenarios), then prints the mean normalised score per
# level for each, and the max and mean absolute difference of per-episode normalised scores (episodes paired
# by level and episode_index). Results go to $OUT (default /tmp/pvmbench_bf16_check); pass checkpoint files,
# default the cnn and EfficientNet-Lite0 partial reference checkpoints. About 1-3 minutes per checkpoint and
# dtype on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PVM=".venv/bin/pvmbench"
PY=".venv/bin/python"
OUT="${OUT:-/tmp/pvmbench_bf16_check}"
SHIFT="${SHIFT:-id,hard}"
EPISODES="${EPISODES:-20}"
mkdir -p "$OUT"
if [ $# -eq 0 ]; then
  set -- checkpoints/bc_tabletop_v1_efficientnet-lite0_partial_seed0.pt checkpoints/bc_tabletop_v1_cnn_scratch_seed0.pt
fi
for ckpt in "$@"; do
  name="$(basename "$ckpt" .pt)"
  for dtype in float32 bfloat16; do
    rm -f "$OUT/${name}_$dtype.parquet" "$OUT/${name}_$dtype.manifest.json"
    $PVM eval --agent "$ckpt" --shift "$SHIFT" --episodes "$EPISODES" --seed 0 --inference-dtype "$dtype" \
      --out "$OUT/${name}_$dtype.parquet" --no-progress > "$OUT/${name}_$dtype.log"
  done
  "$PY" - "$OUT/${name}_float32.parquet" "$OUT/${name}_bfloat16.parquet" "$ckpt" <<'EOF'
import sys

import pandas as pd

f32, bf16 = (pd.read_parquet(p) for p in sys.argv[1:3])
key = ["level", "episode_index"]
both = f32.merge(bf16, on=key, suffixes=("_f32", "_bf16"), validate="one_to_one")
if len(both) != len(f32) or len(both) != len(bf16):
    sys.exit(f"{sys.argv[3]}: float32 has {len(f32)} episodes, bfloat16 {len(bf16)}, {len(both)} pair up")
if (both["episode_seed_f32"] != both["episode_seed_bf16"]).any():
    sys.exit(f"{sys.argv[3]}: paired episodes have different seeds")
both["diff"] = (both["normalised_score_bf16"] - both["normalised_score_f32"]).abs()
labels = f"{f32['agent_label'].iloc[0]} vs {bf16['agent_label'].iloc[0]}"
print(f"\n{sys.argv[3]} ({labels}), {len(both)} paired episodes")
table = both.groupby("level", sort=False).agg(
    episodes=("diff", "size"), mean_f32=("normalised_score_f32", "mean"), mean_bf16=("normalised_score_bf16", "mean"),
    max_abs_diff=("diff", "max"), mean_abs_diff=("diff", "mean"),
    success_f32=("success_f32", "mean"), success_bf16=("success_bf16", "mean"))
table.loc["all"] = [len(both), both["normalised_score_f32"].mean(), both["normalised_score_bf16"].mean(),
                    both["diff"].max(), both["diff"].mean(), both["success_f32"].mean(), both["success_bf16"].mean()]
print(table.to_string(float_format=lambda v: f"{v:.4f}"))
print(f"episodes whose score changed: {(both['diff'] > 0).sum()} of {len(both)}")
EOF
done
