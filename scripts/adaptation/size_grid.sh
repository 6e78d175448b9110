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
R=${RECLIP:-.build/release/reclip}
M=models/world
C=sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat
export RECLIP_HOME=${RECLIP_HOME:-$WORK/home}
for s in none balanced dusk coast; do
  [ -d "$WORK/pool-$s" ] && [ -d "$WORK/test-$s-$SEED" ] || { echo "run SCRATCH=200 scripts/adaptation/second_world.sh $WORK $SEED first" >&2; exit 1; }
done
miou() { "$R" eval --weights $M/mini-clip.safetensors --dataset "$1" --size 96 --rectifier "$2" --alpha 1 --json 2>/dev/null \
           | python3 -c "import json,sys;print(f\"{100*json.load(sys.stdin)['mIoU']:.1f}\")"; }
# The bundled rectifiers' pseudo-label settings and from-scratch recipe (models/world/README.md).
if [ "$V" = reclip ]; then extra="--pseudo-labels dense-share --label-min-share 0.2"; recipe="--batch 8 --lr 0.1"
else extra="--crop-window 24 --crop-step 12 --crop-min-votes 3"; recipe="--batch 8 --lr 0.03"; fi
printf 'shift\tvariant\timages\tadapted\tseconds%s\n' "${SCRATCH:+$'\t'scratch$'\t'seconds}"
for s in none balanced dusk coast; do
  for n in $SIZES; do
    dir="$WORK/pool-$s-$n"
    if [ ! -d "$dir" ]; then   # site images only (symbolic links): no mask can reach training
      mkdir -p "$dir/JPEGImages"
      mapfile -t files < <(find "$WORK/pool-$s/JPEGImages" -type f | sort)   # not a pipe into head: no SIGPIPE under pipefail
      for f in "${files[@]:0:$n}"; do ln -sf "$f" "$dir/JPEGImages/"; done
    fi
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$R" train --weights $M/mini-clip.safetensors --images "$dir" --classes $C --size 96 --variant "$V" $extra \
      --checkpoint-every 0 --init "$M/rectifier-$V.safetensors" --out "$WORK/grid-adapt-$s-$V-$n.safetensors" > /dev/null 2>&1
    secs=$(( $(date +%s) - t0 )); scratch=""
    if [ -n "${SCRATCH:-}" ]; then
      t0=$(date +%s)
      # shellcheck disable=SC2086
      "$R" train --weights $M/mini-clip.safetensors --images "$dir" --classes $C --size 96 --variant "$V" $extra \
        $recipe --epochs 4 --seed 0 --checkpoint-every 0 --out "$WORK/grid-scratch-$s-$V-$n.safetensors" > /dev/null 2>&1
      scratch=$(printf '\t%s\t%s' "$(miou "$WORK/test-$s-$SEED" "$WORK/grid-scratch-$s-$V-$n.safetensors")" "$(( $(date +%s) - t0 ))")
    fi
    printf '%s\t%s\t%s\t%s\t%s%s\n' "$s" "$V" "$n" "$(miou "$WORK/test-$s-$SEED" "$WORK/grid-adapt-$s-$V-$n.safetensors")" "$secs" "$scratch"
  done
done
