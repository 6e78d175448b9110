#!/usr/bin/env bash
# Issue 17's grid over the number of site images (docs/adaptation.md): for each shift, the
# bundled VARIANT adapted from the first N site images of world 30 (`reclip train --init` with
# the few-image schedule, as `reclip adapt` runs it) and, with SCRATCH=1, a rectifier trained from
# scratch on the same N images with the bundled recipe (seed 0), each scored at alpha 1 on the
# 200 test scenes of world SEED. Reuses the worlds of `SCRATCH=200 second_world.sh WORK SEED`.
# Prints one TSV line per shift and N.
#
# Usage: [SCRATCH=1] scripts/adaptation/size_grid.sh WORK [SEED] [VARIANT] [SIZES]   (defaults 777, reclip++, "5 10 20 50 200")
set -euo pipefail
WORK=${1:?usage: scripts/adaptation/size_grid.sh WORK [SEED] [VARIANT] [SIZES]}
SEED=${2:-777}; V=${3:-reclip++}; SIZES=${4:-5 10 20 50 200}
# shellcheck source=scripts/adaptation/common.sh
. "$(dirname "$0")/common.sh"
for s in none balanced dusk coast; do
  [ -d "$WORK/pool-$s" ] && [ -d "$WORK/test-$s-$SEED" ] || { echo "run SCRATCH=200 scripts/adaptation/second_world.sh $WORK $SEED first" >&2; exit 1; }
done
bundled_settings "$V"
printf 'shift\tvariant\timages\tadapted\tseconds%s\n' "${SCRATCH:+$'\t'scratch$'\t'seconds}"
for s in none balanced dusk coast; do
  for n in $SIZES; do
    [ -d "$WORK/pool-$s-$n" ] || site_folder "$s" "$n"
    secs=$(train_rectifier "$V" "$WORK/pool-$s-$n" "$WORK/grid-adapt-$s-$V-$n.safetensors" --init "$M/rectifier-$V.safetensors")
    scratch=""
    if [ -n "${SCRATCH:-}" ]; then
      # shellcheck disable=SC2086
      t=$(train_rectifier "$V" "$WORK/pool-$s-$n" "$WORK/grid-scratch-$s-$V-$n.safetensors" $RECIPE --seed 0)
      scratch=$(printf '\t%s\t%s' "$(miou "$WORK/test-$s-$SEED" "$WORK/grid-scratch-$s-$V-$n.safetensors")" "$t")
    fi
    printf '%s\t%s\t%s\t%s\t%s%s\n' "$s" "$V" "$n" "$(miou "$WORK/test-$s-$SEED" "$WORK/grid-adapt-$s-$V-$n.safetensors")" "$secs" "$scratch"
  done
done
