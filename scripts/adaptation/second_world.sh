#!/usr/bin/env bash
# Issue 17's adaptation figures on a second test world and for ReCLIP++ (docs/adaptation.md):
# for each shift, 200 test scenes of world SEED (default 777, never tuned on) are made with the
# shift's flags; raw MaskCLIP, the bundled rectifier and the rectifier adapted from the first 20
# site images of world 30 (`reclip train --init`, the few-image schedule, as `reclip adapt`) are
# evaluated at alpha 1, for ReCLIP and ReCLIP++. With SCRATCH=N, a rectifier trained from scratch
# on the first N site images with the bundled recipe (scripts/make_default_model.sh's settings,
# seed 0) is scored beside them. Prints one TSV line per shift and variant.
#
# Usage: [SCRATCH=200] scripts/adaptation/second_world.sh WORK [SEED]     (RECLIP: the binary, default .build/release/reclip)
set -euo pipefail
WORK=${1:?usage: scripts/adaptation/second_world.sh WORK [SEED]}
SEED=${2:-777}
# shellcheck source=scripts/adaptation/common.sh
. "$(dirname "$0")/common.sh"
mkdir -p "$WORK"
SCRATCH=${SCRATCH:-}
POOL=${SCRATCH:-20}
printf 'shift\tvariant\traw\tbundled\tadapted-20\tseconds%s\n' "${SCRATCH:+$'\t'scratch-$SCRATCH$'\t'seconds}"
for s in none balanced dusk coast; do
  # shellcheck disable=SC2086
  [ -d "$WORK/pool-$s" ] || "$R" world --seed 30 --count "$POOL" --val-fraction 0 ${FLAGS[$s]} --out "$WORK/pool-$s" > /dev/null
  site_folder "$s" 20; [ -z "$SCRATCH" ] || site_folder "$s" "$SCRATCH"
  # shellcheck disable=SC2086
  [ -d "$WORK/test-$s-$SEED" ] || "$R" world --seed "$SEED" --count 200 --val-fraction 1 ${FLAGS[$s]} --out "$WORK/test-$s-$SEED" > /dev/null
  raw=$(miou "$WORK/test-$s-$SEED")
  for v in reclip reclip++; do
    secs=$(train_rectifier $v "$WORK/pool-$s-20" "$WORK/adapt-$s-$v-20.safetensors" --init $M/rectifier-$v.safetensors)
    scratch=""
    if [ -n "$SCRATCH" ]; then
      bundled_settings $v
      # shellcheck disable=SC2086
      t=$(train_rectifier $v "$WORK/pool-$s-$SCRATCH" "$WORK/scratch-$s-$v-$SCRATCH.safetensors" $RECIPE --seed 0)
      scratch=$(printf '\t%s\t%s' "$(miou "$WORK/test-$s-$SEED" "$WORK/scratch-$s-$v-$SCRATCH.safetensors")" "$t")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s%s\n' "$s" "$v" "$raw" "$(miou "$WORK/test-$s-$SEED" $M/rectifier-$v.safetensors)" \
      "$(miou "$WORK/test-$s-$SEED" "$WORK/adapt-$s-$v-20.safetensors")" "$secs" "$scratch"
  done
done
