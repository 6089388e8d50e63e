#!/usr/bin/env bash
# Runs the three PVM analyses on the committed BC checkpoints and writes results/analysis/*.{csv,png}.
# 6-8 minutes on 2 CPU cores. ViT CLS attention needs DINOv2/CLIP weights offline: pass
# VIT="--vit dinov2=<dir or cached hub name>" to include them (not run by default).
set -euo pipefail
cd "$(dirname "$0")/.."
export MUJOCO_GL="${MUJOCO_GL:-egl}"
PVM=".venv/bin/pvmbench"
OUT="results/analysis"
CK="checkpoints"
# Seed 0 of each TableTopPick-v1 reference setup (image + robot state policies, 96 px wrist camera).
V1="$CK/bc_tabletop_v1"
EFF=(--checkpoint "${V1}_efficientnet-lite0_frozen_seed0.pt" --checkpoint "${V1}_efficientnet-lite0_partial_seed0.pt"
     --checkpoint "${V1}_efficientnet-lite0_full_seed0.pt")
ALL=(--checkpoint "${V1}_cnn_scratch_seed0.pt" "${EFF[@]}")

# Forgetting: 74 objects x 4 views, 5-NN leave-one-object-out and debiased CKA against a fresh pretrained
# encoder, beside a random-init encoder of the same architecture and a shuffled-row CKA null.
$PVM analyze forgetting "${EFF[@]}" --views 4 --k 5 --out "$OUT"
# Invariance: 10 seeds x 3 oracle steps = 30 states; retrieval among them under each condition (hard split
# into its camera and the rest) and along the id -> hard severity ladder.
$PVM analyze invariance "${ALL[@]}" --seeds 10 --steps 0,15,30 \
    --levels id,id-resample,easy,hard,hard:no-camera,hard:camera --severities 0,0.25,0.5,0.75,1 --out "$OUT"
# Attention: saliency of every policy on 12 seeds per level against the target's mask, and the occlusion
# test against 12 random patches of the target's shape per frame.
# shellcheck disable=SC2086
$PVM analyze attention "${ALL[@]}" ${VIT:-} --seeds 12 --patches 12 --out "$OUT"
