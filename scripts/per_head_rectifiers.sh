#!/usr/bin/env bash
# Trains one ReCLIP rectifier per dense head on the bundled small CLIP (`reclip train --head H`,
# the bundled ReCLIP's settings: top-5 pseudo labels, 4 epochs, seed 2, 1000 unlabelled scenes
# of world 10), then scores each head raw and with its own rectifier and with the bundled
# (MaskCLIP-trained) one: on the validation world 11, then once on the test world 4242.
# These rectifiers are a measurement, not bundled (the repository's 30 MB budget holds two).
#
#   scripts/per_head_rectifiers.sh WORK      # WORK: a scratch folder (worlds, rectifiers, JSON)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:?usage: scripts/per_head_rectifiers.sh WORK}
RECLIP=${RECLIP:-.build/release/reclip}
W=models/world/mini-clip.safetensors
mkdir -p "$WORK"
[ -d "$WORK/train" ] || "$RECLIP" world --seed 10 --count 1000 --out "$WORK/train" > /dev/null
CLASSES=$(paste -sd, "$WORK/train/classes.txt")
for s in 11 4242; do [ -d "$WORK/w$s" ] || "$RECLIP" world --seed $s --count 200 --val-fraction 1 --out "$WORK/w$s" > /dev/null; done
for head in sclip clearclip naclip; do
  start=$(date +%s)
  [ -f "$WORK/rectifier-$head.safetensors" ] || "$RECLIP" train --weights $W --images "$WORK/train" --classes $CLASSES --size 96 \
      --variant reclip --epochs 4 --seed 2 --label-top-k 5 --head $head --checkpoint-every 0 \
      --out "$WORK/rectifier-$head.safetensors" > "$WORK/train-$head.log" 2>&1
  echo "$head: trained in $(( $(date +%s) - start )) s"
done
for s in 11 4242; do
  echo "== world $s (200 scenes; 11 is validation, 4242 test)"
  for head in maskclip sclip clearclip naclip; do
    own=models/world/rectifier-reclip.safetensors
    [ $head = maskclip ] || own="$WORK/rectifier-$head.safetensors"
    "$RECLIP" eval --weights $W --dataset "$WORK/w$s" --size 96 --heads $head --rectifier "$own" --alpha 1 --json > "$WORK/eval-$s-$head-own.json"
    "$RECLIP" eval --weights $W --dataset "$WORK/w$s" --size 96 --heads $head --rectifier models/world/rectifier-reclip.safetensors --alpha 1 --json > "$WORK/eval-$s-$head-bundled.json"
    python3 - "$WORK" $s $head <<'PY'
import json, sys
work, s, head = sys.argv[1:]
def miou(kind):
    # The raw figure comes with every rectified run (the same head's raw logits).
    d = json.load(open(f"{work}/eval-{s}-{head}-{'own' if kind == 'raw' else kind}.json"))["heads"][head]
    return 100 * d["raw" if kind == "raw" else "rectified"]["mIoU"]
print(f"{head:10s} raw {miou('raw'):5.1f}  own rectifier {miou('own'):5.1f}  bundled (MaskCLIP-trained) {miou('bundled'):5.1f}")
PY
  done
done
