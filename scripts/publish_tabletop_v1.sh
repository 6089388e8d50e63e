#!/usr/bin/env bash
# Every published pvmbench/TableTopPick-v1 entry: the built-in agents (random, the scripted oracle), the
# blind baseline (grid-searched here) and the BC checkpoints given as arguments, at id/easy/hard, along
# the severity sweep and per factor; budgets in lib/publish_env_rows.sh.
# Usage: bash scripts/publish_tabletop_v1.sh [checkpoint.pt ...]; then bash scripts/build_leaderboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_ID=pvmbench/TableTopPick-v1 PREFIX=tabletop_v1 EXPERT=scripted BLIND=checkpoints/blind_tabletop_v1.pt
FACTORS="factor=objects,factor=layout,factor=table_texture,factor=object_appearance,factor=lighting,factor=camera"
source scripts/lib/publish_env_rows.sh
publish_env_rows "$@"
