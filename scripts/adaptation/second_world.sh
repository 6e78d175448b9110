#!/usr/bin/env bash
# Issue 17's adaptation figures on a second test world and for ReCLIP++ (docs/adaptation.md):
# for each shift, 200 test scenes of world SEED (default 777, never tuned on) are made with the
# shift's flags; raw MaskCLIP, the bundled rectifier and the rectifier adapted from the first 20
# site images of world 30 (`reclip train --init`, the few-image schedule, as `reclip adapt`) are
# evaluated at alpha 1, for ReCLIP and ReCLIP++. Prints one TSV line per shift and variant.
#
# Usage: scripts/adaptation/second_world.sh WORK [SEED]     (RECLIP: the binary, default .build/release/reclip)
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
printf 'shift\tvariant\traw\tbundled\tadapted-20\tseconds\n'
for s in none balanced dusk coast; do
  # shellcheck disable=SC2086
  [ -d "$WORK/pool-$s" ] || "$R" world --seed 30 --count 20 --val-fraction 0 ${FLAGS[$s]} --out "$WORK/pool-$s" > /dev/null
  mkdir -p "$WORK/pool-$s-20/JPEGImages"
  for f in "$WORK/pool-$s/JPEGImages/"*; do ln -sf "$f" "$WORK/pool-$s-20/JPEGImages/"; done   # images only: no mask can reach training
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
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$v" "$raw" "$(miou "$WORK/test-$s-$SEED" $M/rectifier-$v.safetensors)" \
      "$(miou "$WORK/test-$s-$SEED" "$WORK/adapt-$s-$v-20.safetensors")" "$secs"
  done
done
