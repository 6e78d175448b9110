#!/usr/bin/env bash
# Captures the explorer's views as ANSI text (docs/tui-*.ans) and measures the bytes one alpha
# step writes to a 200x60 terminal. Needs tmux and a built reclip (RECLIP_BINARY or .build/debug).
# Usage: scripts/tui_screens.sh [reclip arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
RECLIP=${RECLIP_BINARY:-$PWD/.build/debug/reclip}
F=Tests/Fixtures/reclip
ARGS=${*:-"samples --weights $F/tiny_clip.safetensors --rectifier $F/reclip.safetensors --size 32"}
SOCK=reclip-docs-$$
T="tmux -L $SOCK"
trap '$T kill-server 2>/dev/null || true; rm -f /tmp/tmux-$(id -u)/$SOCK' EXIT
$T -f /dev/null new-session -d -x 200 -y 60 -s d "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=tmux-256color LANG=C.UTF-8 PS1='$ ' sh -m"
$T set-window-option -g window-size manual >/dev/null
start=$(date +%s%N)
$T send-keys -t d "$RECLIP $ARGS" Enter
for _ in $(seq 1 500); do $T capture-pane -p -t d | grep -q -- "? help" && break; sleep 0.01; done
echo "first frame after:     $(( ($(date +%s%N) - start) / 1000000 )) ms (including tmux polling)"
wait_for() { for _ in $(seq 1 200); do $T capture-pane -p -t d | grep -q -- "$1" && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }
wait_for "engine"
sleep 0.3
bytes() {  # bytes written to the terminal by the keys "$@"
  local out; out=$(mktemp)
  $T pipe-pane -t d -o "cat > $out"
  for k in "$@"; do $T send-keys -t d "$k"; done
  sleep 0.6
  $T pipe-pane -t d
  sleep 0.1
  wc -c < "$out"; rm -f "$out"
}
echo "alpha step (-):        $(bytes -) bytes"
echo "alpha step (+):        $(bytes +) bytes"
echo "next view (Tab):       $(bytes Tab) bytes"
echo "previous view (BTab):  $(bytes BTab) bytes"
echo "full repaint (C-l is not bound; resize 199x60 -> 200x60):"
out=$(mktemp); $T pipe-pane -t d -o "cat > $out"; $T resize-window -t d -x 199 -y 60; sleep 0.5; $T resize-window -t d -x 200 -y 60; sleep 0.6; $T pipe-pane -t d; echo "                       $(wc -c < "$out") bytes"; rm -f "$out"
$T resize-window -t d -x 120 -y 36; sleep 0.5
for v in 1 2 3 4; do
  $T send-keys -t d "$v"; sleep 0.4
  $T capture-pane -p -e -t d > "docs/tui-view$v.ans"
done
$T send-keys -t d o; sleep 0.3; $T capture-pane -p -e -t d > docs/tui-view4-groundtruth.ans
$T send-keys -t d 1 i Right Right; sleep 0.4; $T capture-pane -p -e -t d > docs/tui-inspect.ans
$T send-keys -t d Escape '?'; sleep 0.3; $T capture-pane -p -e -t d > docs/tui-help.ans
$T send-keys -t d Escape q
sleep 0.5
# Without a model: the bundled world dataset's images and ground truth.
$T send-keys -t d "$RECLIP samples/world --no-model" Enter
wait_for "no model loaded"
sleep 0.5
$T capture-pane -p -e -t d > docs/tui-nomodel.ans
$T send-keys -t d q
