#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/ (with AddressSanitizer, into .build-fuzz, never
# touching the normal build) and runs each for SECONDS on its corpus:
#
#   scripts/fuzz/run.sh [SECONDS] [HARNESS...]       default: 60 seconds, every harness
#   scripts/fuzz/run.sh --list                       the harnesses
#   FUZZ_FLAGS="-jobs=2" scripts/fuzz/run.sh 600 pth  extra libFuzzer flags
#
# A harness fails on a crash, an ASan report, a leak, an input taking over 10 s (-timeout=10)
# or more than 2 GB (-rss_limit_mb=2048); thrown errors are fine (Fuzz/Support). The input
# that failed is saved under Fuzz/crashes/NAME/ (not committed: a finding becomes a regression
# test under Tests/). Inputs that found new coverage go to .build-fuzz/corpus/NAME, kept
# between runs; the committed seeds in Fuzz/corpus/NAME are only read, and Fuzz/dict/NAME.dict
# (the format's keywords) is given to libFuzzer when there is one. Prints one line per
# harness (executions, coverage, corpus, peak memory, verdict) and exits 1 if any failed.
# Logs: .build-fuzz/logs/NAME.log. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HARNESSES=(safetensors pth clip rectifier vocab tokenizer png jpeg mask)

if [[ ${1:-} == --list ]]; then printf '%s\n' "${HARNESSES[@]}"; exit 0; fi
SECONDS_EACH=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then SECONDS_EACH=$1; shift; fi
if [[ $# -gt 0 ]]; then
    for h in "$@"; do
        [[ " ${HARNESSES[*]} " == *" $h "* ]] || { echo "run.sh: no harness '$h' (have: ${HARNESSES[*]})" >&2; exit 2; }
    done
    HARNESSES=("$@")
fi

SCRATCH=$ROOT/.build-fuzz
mkdir -p "$SCRATCH/logs"
# Swift code gets coverage and ASan from the two -sanitize flags; the C targets (the JPEG
# shim's setjmp guard, the vector kernels, the SHA-256 shim) get them through -Xcc. The
# system libraries (libpng, libjpeg, zlib, OpenBLAS) are not instrumented.
BUILD=(swift build -c debug --package-path Fuzz --scratch-path "$SCRATCH"
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
       -Xcc -fsanitize=fuzzer-no-link,address)
echo "fuzz: building the harnesses into .build-fuzz (log: .build-fuzz/logs/build.log)"
if ! nice -n 19 "${BUILD[@]}" >"$SCRATCH/logs/build.log" 2>&1; then
    grep -E "error:" "$SCRATCH/logs/build.log" | sort -u | head -20 >&2
    echo "fuzz: the build failed (see .build-fuzz/logs/build.log)" >&2
    exit 1
fi
BIN=$(nice -n 19 "${BUILD[@]}" --show-bin-path 2>/dev/null | tail -1)

# LeakSanitizer stays on; the harnesses keep their long-lived state (the tokenizer, the CLIP
# a rectifier must fit) in globals, which it does not count as leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
# Swift's own crash backtracer would run inside the crashed process and trip ASan itself;
# libFuzzer's report (with ASan's symbolised stack) is the one wanted.
export SWIFT_BACKTRACE=enable=no
export RECLIP_ROOT=$ROOT
failed=0
printf '%-12s %10s %8s %8s %6s %8s %8s  %s\n' harness seconds execs exec/s cov features "rss MB" result
for h in "${HARNESSES[@]}"; do
    work=$SCRATCH/corpus/$h crashes=$ROOT/Fuzz/crashes/$h log=$SCRATCH/logs/$h.log
    mkdir -p "$work" "$crashes"
    before=$(ls "$crashes" | wc -l)
    start=$(date +%s)
    status=0
    dict=()
    [[ -f $ROOT/Fuzz/dict/$h.dict ]] && dict=(-dict="$ROOT/Fuzz/dict/$h.dict")
    # shellcheck disable=SC2086
    nice -n 19 "$BIN/fuzz-$h" "$work" "$ROOT/Fuzz/corpus/$h" "${dict[@]}" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    final_stat() { grep -E "^stat::$1:" "$log" | tail -1 | awk '{print $2}'; }
    last=$(grep -E "^#[0-9]+.*cov: " "$log" | tail -1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    after=$(ls "$crashes" | wc -l)
    if [[ $status -eq 0 && $after -eq $before ]]; then
        result="no crash"
    else
        failed=1
        what=$(grep -m1 -E "^==[0-9]+==ERROR|^SUMMARY|deadly signal|Fatal error|Precondition failed|ALARM|out-of-memory|malloc\(|LeakSanitizer" "$log" \
               | sed -E 's/^==[0-9]+==//' | cut -c1-100 || true)
        saved=$(ls -t "$crashes" | head -1)
        result="FAILED (exit $status): ${what:-see $log}; input: Fuzz/crashes/$h/${saved:-none}"
    fi
    printf '%-12s %10s %8s %8s %6s %8s %8s  %s\n' "$h" "$elapsed" "$(final_stat number_of_executed_units)" \
        "$(final_stat average_exec_per_sec)" "${cov:--}" "${ft:--}" "$(final_stat peak_rss_mb)" "$result"
    if [[ $result != "no crash" ]]; then
        # The report and the input itself, so that a CI log is enough to reproduce it.
        grep -m1 -A30 -E "^==[0-9]+==ERROR|Fatal error|deadly signal|ALARM|out-of-memory" "$log" | sed 's/^/    /' >&2 || true
        if [[ -n ${saved:-} && $(stat -c %s "$crashes/$saved") -le 16384 ]]; then
            echo "    input (base64): $(base64 -w0 "$crashes/$saved")" >&2
        fi
    fi
    rmdir "$crashes" 2>/dev/null || true
done
rmdir "$ROOT/Fuzz/crashes" 2>/dev/null || true
exit $failed
