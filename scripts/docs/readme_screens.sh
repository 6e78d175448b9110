#!/usr/bin/env bash
# Captures the explorer's views on the bundled samples and model in tmux (on the first scene, as
# `scripts/run` opens, no hand-picked one), and renders
# each capture to a PNG for the README (docs/screens/*.png; needs Pillow for ansi_to_png.py).
# Usage: scripts/docs/readme_screens.sh   (after swift build -c release --product reclip)
set -euo pipefail
cd "$(dirname "$0")/../.."
RECLIP=${RECLIP_BINARY:-$PWD/.build/release/reclip}
OUT=docs/screens
mkdir -p "$OUT"
SOCK=reclip-readme-$$
T="tmux -L $SOCK"
trap '$T kill-server 2>/dev/null || true' EXIT
$T -f /dev/null new-session -d -x 160 -y 50 -s d "env -i PATH=/usr/bin:/bin HOME=$HOME TERM=tmux-256color LANG=C.UTF-8 PS1='$ ' sh"
wait_for() { for _ in $(seq 1 300); do $T capture-pane -p -t d | grep -q -- "$1" && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }
shot() { sleep 0.6; $T capture-pane -p -e -t d > "$OUT/$1.ans"; python3 scripts/docs/ansi_to_png.py "$OUT/$1.ans" "$OUT/$1.png"; }
$T send-keys -t d "cd $PWD && $RECLIP samples/world" Enter
wait_for "engine"
shot compare
$T send-keys -t d 2; shot bias
$T send-keys -t d 3; shot difference
$T send-keys -t d 4; shot overlay
$T send-keys -t d 5; wait_for "24/24 images"; shot dataset
$T send-keys -t d 1 i Right Right Down Down; shot inspect
$T send-keys -t d Escape P; shot protocol
# r: the same scene with every map refined by PAMR (the message names it; the maps follow).
$T send-keys -t d Escape 1 r; wait_for "PAMR 10 steps"; sleep 1.5; shot refined
$T send-keys -t d Escape q
