#!/usr/bin/env bash
# Runs the three PVM analyses on the committed BC checkpoints and writes results/analysis/*.{csv,png}.
# A few CPU minutes in all. ViT CLS attention needs DINOv2/CLIP weights offline: pass
# VIT="--vit dinov2=<dir or cached hub name>" to include them (not run by default).
set -euo pipefail
cd "$(dirname "$0")/.."
export MUJOCO_GL="${MUJOCO_GL:-egl}"
PVM=".venv/bin/pvmbench"
OUT="results/analysis"
CK="checkpoints"
EFF=(--checkpoint "$CK/bc_efficientnet-lite0_frozen_seed0.pt" --checkpoint "$CK/bc_efficientnet-lite0_partial_seed0.pt"
     --checkpoint "$CK/bc_efficientnet-lite0_full_seed0.pt")
ALL=(--checkpoint "$CK/bc_cnn_scratch_seed0.pt" "${EFF[@]}")

# Forgetting: 74 objects x 4 views, 5-NN leave-one-object-out, CKA against a fresh pretrained encoder.
$PVM analyze forgetting "${EFF[@]}" --views 4 --k 5 --out "$OUT"
# Invariance: 6 seeds x 3 oracle steps, named levels and the id -> hard severity ladder.
$PVM analyze invariance "${ALL[@]}" --seeds 6 --steps 0,15,30 --severities 0,0.25,0.5,0.75,1 --out "$OUT"
# Attention: Grad-CAM of every policy on 6 seeds per level; Jaccard of the top 10% pixels with the target.
# shellcheck disable=SC2086
$PVM analyze attention "${ALL[@]}" ${VIT:-} --seeds 6 --top 0.1 --out "$OUT"
