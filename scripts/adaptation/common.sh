# Shared by scripts/adaptation/second_world.sh and size_grid.sh (sourced, not run): the binary,
# the bundled model, its classes, the shifts' flags, scoring, site folders and the bundled
# rectifiers' settings. Expects WORK to be set.
R=${RECLIP:-.build/release/reclip}
M=models/world
C=sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat
export RECLIP_HOME=${RECLIP_HOME:-$WORK/home}
declare -A FLAGS=([none]="" [balanced]="--balanced" [dusk]="--camera dusk" [coast]="--scene-mix coast")

# miou DATASET [RECTIFIER]: mIoU in % at alpha 1 (raw MaskCLIP without a rectifier).
miou() { "$R" eval --weights $M/mini-clip.safetensors --dataset "$1" --size 96 ${2:+--rectifier "$2" --alpha 1} --json 2>/dev/null \
           | python3 -c "import json,sys;print(f\"{100*json.load(sys.stdin)['mIoU']:.1f}\")"; }

# site_folder SHIFT N: $WORK/pool-SHIFT-N, the first N images of $WORK/pool-SHIFT as symbolic
# links in JPEGImages/ only, so that no mask can reach training.
site_folder() {
  local dir="$WORK/pool-$1-$2" files f
  mkdir -p "$dir/JPEGImages"
  mapfile -t files < <(find "$WORK/pool-$1/JPEGImages" -type f | sort)   # not a pipe into head: no SIGPIPE under pipefail
  for f in "${files[@]:0:$2}"; do ln -sf "$f" "$dir/JPEGImages/"; done
}

# bundled_settings VARIANT: sets EXTRA (the bundled rectifier's pseudo-label settings) and RECIPE
# (its from-scratch batch and rate, with 4 epochs): scripts/make_default_model.sh's ARGS_RECLIP /
# ARGS_RECLIPPP, models/world/README.md.
bundled_settings() {
  if [ "$1" = reclip ]; then EXTRA="--pseudo-labels dense-share --label-min-share 0.2"; RECIPE="--batch 8 --lr 0.1 --epochs 4"
  else EXTRA="--crop-window 24 --crop-step 12 --crop-min-votes 3"; RECIPE="--batch 8 --lr 0.03 --epochs 4"; fi
}

# train_rectifier VARIANT IMAGES OUT ARGS...: `reclip train` on the bundled CLIP at 96 px with the
# variant's bundled pseudo-label settings, one checkpoint at the end; prints the seconds it took.
train_rectifier() {
  local v=$1 images=$2 out=$3 t0; shift 3
  bundled_settings "$v"; t0=$(date +%s)
  # shellcheck disable=SC2086
  "$R" train --weights $M/mini-clip.safetensors --images "$images" --classes $C --size 96 --variant "$v" $EXTRA \
    --checkpoint-every 0 "$@" --out "$out" > /dev/null 2>&1
  echo $(( $(date +%s) - t0 ))
}
