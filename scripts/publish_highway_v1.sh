#!/usr/bin/env bash
# Every published pvmbench/Highway-v1 entry: the built-in agents (random, scripted-driver), the blind
# baseline (grid-searched here) and the BC checkpoints given as arguments, at id/easy/hard, along the
# severity sweep and per factor (fog, rain, wet_road, clouds, darkness); budgets in lib/publish_env_rows.sh.
# Usage: bash scripts/publish_highway_v1.sh [checkpoint.pt ...]; then bash scripts/build_leaderboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_ID=pvmbench/Highway-v1 PREFIX=highway EXPERT=scripted-driver BLIND=checkpoints/blind_highway.pt
FACTORS="factor=fog,factor=rain,factor=wet_road,factor=clouds,factor=darkness"
source scripts/lib/publish_env_rows.sh
publish_env_rows "$@"
