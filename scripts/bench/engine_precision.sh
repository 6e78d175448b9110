#!/bin/sh
# Interleaved rounds of dense features on ViT-B/16-sized random weights, reclip fp32, reclip
# bf16, PyTorch fp32, PyTorch bf16 (autocast), so that the machine's drift cancels in the
# ratios (docs/engine.md, "bf16"). Prints the load average before each round.
#
#     swift build -c release --product reclip
#     scripts/bench/engine_precision.sh [ROUNDS] [REPETITIONS]
set -eu
rounds=${1:-3}
reps=${2:-5}
bin=.build/release/reclip
[ -x "$bin" ] || { echo "build first: swift build -c release --product reclip" >&2; exit 1; }
for r in $(seq 1 "$rounds"); do
    echo "== round $r: load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "-- reclip fp32"
    "$bin" bench engine --dense-only --repetitions "$reps" 2>/dev/null | grep -E "dense features|precision|agreement"
    echo "-- reclip bf16"
    "$bin" bench engine --dense-only --precision bf16 --repetitions "$reps" 2>/dev/null | grep -E "dense features|precision|agreement|AVX512"
    echo "-- PyTorch fp32"
    python3 scripts/bench/clip_torch.py --dense-only --repetitions "$reps" | grep -E "dense features"
    echo "-- PyTorch bf16 (autocast)"
    python3 scripts/bench/clip_torch.py --dense-only --bf16 --repetitions "$reps" | grep -E "dense features"
done
