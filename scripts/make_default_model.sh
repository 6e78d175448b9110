#!/usr/bin/env bash
# Makes the bundled default model in models/world/ from a finished `reclip train-clip` folder:
#   1. exports the small CLIP (F16, OpenAI layout) to models/world/mini-clip.safetensors;
#   2. generates unlabelled rectifier training images (world seed 10);
#   3. trains a ReCLIP and a ReCLIP++ rectifier on them for the world's 12 classes;
#   4. evaluates raw MaskCLIP (alpha 0) and both rectifiers (alpha 1) on 200 held-out scenes of
#      world seed 777 (never used in training or tuning), plus zero-shot classification;
#   5. writes models/world/README.md with the commands, settings and figures.
# Usage: scripts/make_default_model.sh CHECKPOINT_DIR [OUT_DIR]
# Environment: RECLIP (binary, default .build/release/reclip), IMAGES (rectifier training
# scenes, default 1000), EPOCHS (default 4), WORK (scratch folder, default /tmp/reclip-default),
# ARGS_RECLIP / ARGS_RECLIPPP (extra `reclip train` options per variant, e.g. pseudo-label
# settings chosen on a validation world), CLIP_COMMAND (the train-clip line that made the
# checkpoint, for the README).
set -euo pipefail

CKPT_DIR=${1:?usage: scripts/make_default_model.sh CHECKPOINT_DIR [OUT_DIR]}
OUT=${2:-models/world}
RECLIP=${RECLIP:-.build/release/reclip}
IMAGES=${IMAGES:-1000}
EPOCHS=${EPOCHS:-4}
ARGS_RECLIP=${ARGS_RECLIP:-}
ARGS_RECLIPPP=${ARGS_RECLIPPP:-}
CLIP_COMMAND=${CLIP_COMMAND:-"reclip train-clip --world 2024 --out $CKPT_DIR --steps 2000"}
WORK=${WORK:-/tmp/reclip-default}
CLASSES=sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat
TRAIN_SEED=10
HELDOUT_SEED=777
HELDOUT_COUNT=200

[ -x "$RECLIP" ] || { echo "error: $RECLIP not found; build it with swift build -c release --product reclip" >&2; exit 1; }
[ -f "$CKPT_DIR/checkpoint.safetensors" ] || { echo "error: $CKPT_DIR/checkpoint.safetensors not found" >&2; exit 1; }
mkdir -p "$OUT" "$WORK"
export RECLIP_HOME=${RECLIP_HOME:-$WORK/home}

now() { date +%s; }
declare -A SECONDS_FOR

t=$(now)
EXPORT_LINE=$("$RECLIP" export-clip "$CKPT_DIR/checkpoint.safetensors" --out "$OUT/mini-clip.safetensors")
echo "$EXPORT_LINE"
STEP=$(echo "$EXPORT_LINE" | sed -n 's/.*(step \([0-9]*\)).*/\1/p')
SECONDS_FOR[export]=$(( $(now) - t ))

t=$(now)
rm -rf "$WORK/train" "$WORK/heldout"
"$RECLIP" world --seed $TRAIN_SEED --count "$IMAGES" --out "$WORK/train"
"$RECLIP" world --seed $HELDOUT_SEED --count $HELDOUT_COUNT --val-fraction 1 --out "$WORK/heldout"
SECONDS_FOR[world]=$(( $(now) - t ))

for v in reclip reclip++; do
  t=$(now)
  if [ $v = reclip ]; then extra=$ARGS_RECLIP; else extra=$ARGS_RECLIPPP; fi
  # shellcheck disable=SC2086
  "$RECLIP" train --weights "$OUT/mini-clip.safetensors" --images "$WORK/train" --classes "$CLASSES" --size 96 \
    --variant $v --epochs "$EPOCHS" --seed 0 $extra --out "$WORK/rectifier-$v.safetensors"
  mv "$WORK/rectifier-$v.safetensors" "$OUT/rectifier-$v.safetensors"
  SECONDS_FOR[train-$v]=$(( $(now) - t ))
done

t=$(now)
"$RECLIP" eval --weights "$OUT/mini-clip.safetensors" --dataset "$WORK/heldout" --size 96 --json > "$WORK/eval-raw.json"
for v in reclip reclip++; do
  "$RECLIP" eval --weights "$OUT/mini-clip.safetensors" --dataset "$WORK/heldout" --size 96 \
    --rectifier "$OUT/rectifier-$v.safetensors" --alpha 1 --json > "$WORK/eval-$v.json"
done
"$RECLIP" world-zeroshot --weights "$OUT/mini-clip.safetensors" --seed $HELDOUT_SEED --count $HELDOUT_COUNT --json > "$WORK/zeroshot.json"
SECONDS_FOR[eval]=$(( $(now) - t ))

python3 - "$WORK" "$OUT" "$CKPT_DIR" "$STEP" "$IMAGES" "$EPOCHS" "$ARGS_RECLIP" "$ARGS_RECLIPPP" "$CLIP_COMMAND" <<'PY' > "$WORK/README.md"
import json, sys
work, out, ckpt, step, images, epochs, args_reclip, args_reclippp, clip_command = sys.argv[1:]
sp = lambda a: (" " + a) if a else ""
raw = json.load(open(f"{work}/eval-raw.json"))
rec = json.load(open(f"{work}/eval-reclip.json"))
rpp = json.load(open(f"{work}/eval-reclip++.json"))
zs = json.load(open(f"{work}/zeroshot.json"))
f = lambda x: "-" if x is None else f"{100 * x:.1f}"
g = lambda x: "-" if x is None else f"{x:.3f}"
rows = "\n".join(f"| {c} | {f(raw['per_class'][c])} | {f(rec['per_class'][c])} | {f(rpp['per_class'][c])} | {g(zs['presence_auc'][c])} |"
                 for c in "sky cloud mountain snow tree grass water sand road building car boat".split())
print(f"""# The bundled default model: a small CLIP of the scene world

Used by `reclip`, `reclip eval` and `reclip segment` when no `--weights` is given
(docs/world.md describes the world and the model).

| file | what |
|---|---|
| `mini-clip.safetensors` | the small CLIP (ViT 96 px, patch 8, width 128, 4 + 4 layers, context 32), F16, OpenAI layout |
| `rectifier-reclip.safetensors` | ReCLIP rectifier for the world's 12 classes |
| `rectifier-reclip++.safetensors` | ReCLIP++ rectifier for the same classes |

## How they were made

```
{clip_command}          # contrastive only, world seed 2024
reclip export-clip {ckpt}/checkpoint.safetensors --out models/world/mini-clip.safetensors   # step {step}
reclip world --seed 10 --count {images} --out /tmp/world-train     # unlabelled: only JPEGImages are read
reclip train --weights models/world/mini-clip.safetensors --images /tmp/world-train \\
  --classes sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat --size 96 \\
  --variant reclip --epochs {epochs} --seed 0{sp(args_reclip)} --out models/world/rectifier-reclip.safetensors
reclip train ... --variant reclip++ --epochs {epochs} --seed 0{sp(args_reclippp)} --out models/world/rectifier-reclip++.safetensors
reclip world --seed 777 --count 200 --val-fraction 1 --out /tmp/world-heldout
reclip eval --weights models/world/mini-clip.safetensors --dataset /tmp/world-heldout --size 96 [--rectifier R --alpha 1] --json
reclip world-zeroshot --weights models/world/mini-clip.safetensors --seed 777 --count 200
```

All of it is `scripts/make_default_model.sh {ckpt}`. Seeds: CLIP initialisation 1, training world
2024 (scenes 0 ... 127,999), rectifier images world 10, rectifier seed 0; rectifier settings were
chosen on a validation world (seed 11, 200 scenes); the held-out world 777 was never used for
training or tuning.

## Measured on 200 held-out scenes (world seed 777), 96 px

mIoU: raw MaskCLIP {f(raw['mIoU'])}, ReCLIP (alpha 1) {f(rec['mIoU'])}, ReCLIP++ (alpha 1) {f(rpp['mIoU'])};
pixel accuracy {f(raw['pixel_accuracy'])} / {f(rec['pixel_accuracy'])} / {f(rpp['pixel_accuracy'])} (%).
Zero-shot classification (global embedding, 85 templates): top-1 class present in {f(zs['top1'])} % of the
scenes, mean presence AUC {g(zs['mean_presence_auc'])}.

| class | IoU raw (%) | IoU ReCLIP | IoU ReCLIP++ | presence AUC |
|---|---|---|---|---|
{rows}
""")
PY
mv "$WORK/README.md" "$OUT/README.md"
echo "timings (s): export ${SECONDS_FOR[export]}  worlds ${SECONDS_FOR[world]}  train reclip ${SECONDS_FOR[train-reclip]}  train reclip++ ${SECONDS_FOR[train-reclip++]}  eval ${SECONDS_FOR[eval]}"
echo "wrote $OUT/README.md"
