# Sourced by scripts/publish_<env>.sh: one env's published rows, every run on the same episode seeds
# (every level of a run is paired with id). Budgets: 20 episodes per level, 10 per sweep point and factor.
# The caller sets ENV_ID (gym id), PREFIX (row file prefix), EXPERT (built-in expert agent), FACTORS and
# BLIND (where the grid-searched blind checkpoint goes), then calls publish_env_rows "$@".
PVM=".venv/bin/pvmbench"
OUT=results/published
SWEEP="severity=0,0.25,0.5,0.75,1"

publish() {  # agent, row file stem
  $PVM eval --agent "$1" --env "$ENV_ID" --shift all      --episodes 20 --seed 0 --out "$OUT/$2.parquet" --no-progress
  $PVM eval --agent "$1" --env "$ENV_ID" --shift $SWEEP   --episodes 10 --seed 0 --out "$OUT/$2_sweep.parquet" --no-progress
  $PVM eval --agent "$1" --env "$ENV_ID" --shift $FACTORS --episodes 10 --seed 0 --out "$OUT/$2_factors.parquet" --no-progress
}

publish_env_rows() {  # [checkpoint.pt ...]: none publishes the built-ins and blind; else those checkpoints
  mkdir -p "$OUT" checkpoints
  if [ "$#" -eq 0 ]; then
    rm -f "$OUT/${PREFIX}_random"* "$OUT/${PREFIX}_$EXPERT"* "$OUT/${PREFIX}_blind"*
    $PVM train --algo blind --env "$ENV_ID" --episodes 3 --seed 0 --out "$BLIND" --no-progress
    publish random "${PREFIX}_random"
    publish "$EXPERT" "${PREFIX}_$EXPERT"
    publish "$BLIND" "${PREFIX}_blind"
  fi
  local ckpt name stem
  for ckpt in "$@"; do
    name=$(basename "$ckpt" .pt)  # bc_<prefix>_cnn_scratch_seed1.pt -> <prefix>_bc_cnn_scratch_seed1*
    stem="${PREFIX}_bc_${name#bc_"${PREFIX}"_}"
    rm -f "$OUT/$stem".* "$OUT/$stem"_*
    publish "$ckpt" "$stem"
  done
}
