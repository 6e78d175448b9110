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
R=${RECLIP:-.build/release/reclip}
M=models/world
C=sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat
export RECLIP_HOME=${RECLIP_HOME:-$WORK/home}
mkdir -p "$WORK"
miou() { "$R" eval --weights $M/mini-clip.safetensors --dataset "$1" --size 96 ${2:+--rectifier "$2" --alpha 1} --json 2>/dev/null \
           | python3 -c "import json,sys;print(f\"{100*json.load(sys.stdin)['mIoU']:.1f}\")"; }
declare -A FLAGS=([none]="" [balanced]="--balanced" [dusk]="--camera dusk" [coast]="--scene-mix coast")
SCRATCH=${SCRATCH:-}
POOL=${SCRATCH:-20}
printf 'shift\tvariant\traw\tbundled\tadapted-20\tseconds%s\n' "${SCRATCH:+$'\t'scratch-$SCRATCH$'\t'seconds}"
# Site images only (symbolic links to JPEGImages/ of the first N scenes): no mask can reach training.
pool() { mkdir -p "$WORK/pool-$1-$2/JPEGImages"
         mapfile -t files < <(find "$WORK/pool-$1/JPEGImages" -type f | sort)   # not a pipe into head: no SIGPIPE under pipefail
         for f in "${files[@]:0:$2}"; do ln -sf "$f" "$WORK/pool-$1-$2/JPEGImages/"; done; }
for s in none balanced dusk coast; do
  # shellcheck disable=SC2086
  [ -d "$WORK/pool-$s" ] || "$R" world --seed 30 --count "$POOL" --val-fraction 0 ${FLAGS[$s]} --out "$WORK/pool-$s" > /dev/null
  pool "$s" 20; [ -z "$SCRATCH" ] || pool "$s" "$SCRATCH"
  # shellcheck disable=SC2086
  [ -d "$WORK/test-$s-$SEED" ] || "$R" world --seed "$SEED" --count 200 --val-fraction 1 ${FLAGS[$s]} --out "$WORK/test-$s-$SEED" > /dev/null
  raw=$(miou "$WORK/test-$s-$SEED")
  for v in reclip reclip++; do
    # The bundled rectifiers' pseudo-label settings (models/world/README.md).
    if [ $v = reclip ]; then extra="--pseudo-labels dense-share --label-min-share 0.2"; else extra="--crop-window 24 --crop-step 12 --crop-min-votes 3"; fi
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$R" train --weights $M/mini-clip.safetensors --images "$WORK/pool-$s-20" --classes $C --size 96 --variant $v $extra \
      --checkpoint-every 0 --init $M/rectifier-$v.safetensors --out "$WORK/adapt-$s-$v-20.safetensors" > /dev/null 2>&1
    secs=$(( $(date +%s) - t0 ))
    scratch=""
    if [ -n "$SCRATCH" ]; then
      # The bundled recipe (scripts/make_default_model.sh: ARGS_RECLIP / ARGS_RECLIPPP, 4 epochs), seed 0.
      if [ $v = reclip ]; then recipe="--batch 8 --lr 0.1"; else recipe="--batch 8 --lr 0.03"; fi
      t0=$(date +%s)
      # shellcheck disable=SC2086
      "$R" train --weights $M/mini-clip.safetensors --images "$WORK/pool-$s-$SCRATCH" --classes $C --size 96 --variant $v $extra \
        $recipe --epochs 4 --seed 0 --checkpoint-every 0 --out "$WORK/scratch-$s-$v-$SCRATCH.safetensors" > /dev/null 2>&1
      scratch=$(printf '\t%s\t%s' "$(miou "$WORK/test-$s-$SEED" "$WORK/scratch-$s-$v-$SCRATCH.safetensors")" "$(( $(date +%s) - t0 ))")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s%s\n' "$s" "$v" "$raw" "$(miou "$WORK/test-$s-$SEED" $M/rectifier-$v.safetensors)" \
      "$(miou "$WORK/test-$s-$SEED" "$WORK/adapt-$s-$v-20.safetensors")" "$secs" "$scratch"
  done
done
