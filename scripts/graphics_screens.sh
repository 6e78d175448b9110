#!/usr/bin/env bash
# Measures the explorer with each picture protocol in a 200x60 tmux pane (tmux 3.3 shows
# neither sixel nor kitty pictures, but `pipe-pane` records every byte the explorer writes):
# time to the first frame (text) and to the first complete picture, and the bytes of one alpha
# step. Cells of 10x20 pixels (--cell-size), the tiny fixture model, the compare view of
# samples/photos/astronaut.png. Needs tmux and a built reclip (RECLIP_BINARY or .build/release).
# Usage: scripts/graphics_screens.sh [cell size, default 10x20]
set -euo pipefail
cd "$(dirname "$0")/.."
RECLIP=${RECLIP_BINARY:-$PWD/.build/release/reclip}
F=Tests/Fixtures/reclip
CELL=${1:-10x20}
ENGINE="--weights $F/tiny_clip.safetensors --rectifier $F/reclip.safetensors --size 32"
SOCK=reclip-gfx-$$
T="tmux -L $SOCK"
OUT=$(mktemp -d)
trap '$T kill-server 2>/dev/null || true; rm -rf "$OUT"' EXIT
$T -f /dev/null new-session -d -x 200 -y 60 -s d "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=tmux-256color LANG=C.UTF-8 PS1='$ ' sh"
$T set-window-option -g window-size manual >/dev/null

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
has() { grep -qaF -- "$1" "$2" 2>/dev/null; }   # whether file $2 holds the bytes $1
capture() {  # the bytes the keys "$@" make the explorer write, in $OUT/step
  $T pipe-pane -t d -o "cat > $OUT/step"
  for k in "$@"; do $T send-keys -t d "$k"; done
  sleep 0.8
  $T pipe-pane -t d; sleep 0.1
}

printf '%-26s %10s %12s %14s %14s %14s\n' protocol "1st frame" "1st picture" "alpha step -" "alpha step +" "next view"
for mode in cells sixel kitty kitty-ssh kitty-tmux iterm; do
  case $mode in
    cells) args="--graphics cells"; marker="";;
    sixel) args="--graphics sixel --cell-size $CELL"; marker=$'\eP0;1;0q';;
    kitty|kitty-ssh) args="--graphics kitty --cell-size $CELL"; marker=$'\e_Ga=T';;
    kitty-tmux) args="--graphics kitty --cell-size $CELL"; marker=$'\ePtmux;\e\e_Ga=T';;
    iterm) args="--graphics iterm --cell-size $CELL"; marker=$'\e]1337;';;
  esac
  env=""; [ $mode = kitty-tmux ] && env="TMUX=/tmp/tmux-measure,1,0"
  [ $mode = kitty-ssh ] && env="SSH_TTY=/dev/pts/0"   # as over ssh: PNG instead of raw RGB
  $T send-keys -t d "clear" Enter; sleep 0.3
  $T pipe-pane -t d -o "cat > $OUT/start"
  start=$(date +%s%N)
  $T send-keys -t d "$env $RECLIP samples $ENGINE $args" Enter
  first=""; picture="-"
  for _ in $(seq 1 1000); do
    [ -z "$first" ] && $T capture-pane -p -t d | grep -q -- "? help" && first=$(ms $start)
    if [ -n "$marker" ] && [ "$picture" = "-" ] && has "$marker" "$OUT/start"; then picture=$(ms $start); fi
    [ -n "$first" ] && { [ -z "$marker" ] || [ "$picture" != "-" ]; } && break
    sleep 0.005
  done
  for _ in $(seq 1 200); do $T capture-pane -p -t d | grep -q "engine" && break; sleep 0.05; done
  sleep 0.5; $T pipe-pane -t d
  capture -; minus=$(wc -c < "$OUT/step")
  capture +; plus=$(wc -c < "$OUT/step")
  capture Tab; tab=$(wc -c < "$OUT/step")
  printf '%-26s %8s ms %9s ms %8s bytes %8s bytes %8s bytes\n' "$mode ${CELL}" "$first" "$picture" "$minus" "$plus" "$tab"
  $T send-keys -t d q; sleep 0.4
done
echo "(times from the Enter key to the text / to the first picture's first bytes in tmux's pipe; release build)"
