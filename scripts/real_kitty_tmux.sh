#!/usr/bin/env bash
# The explorer inside tmux inside a real kitty (software OpenGL under Xvfb): with tmux's
# allow-passthrough on, reclip detects kitty (KITTY_WINDOW_ID survives into tmux) and sends its
# panels through tmux as kitty images placed by Unicode placeholders. The window's screenshot is
# compared with the panels reclip composed for the same frame (its kitty f=24 bytes), PSNR in dB,
# and saved as docs/screens/kitty-tmux.png. Unicode placeholders need kitty 0.28 or later: with
# Debian's kitty 0.26.5 the placement was rejected ("invalid key character: 0x55") and nothing
# showed (PSNR about 5 dB), so reclip now chooses cells there and the PSNR against the kitty
# reference stays low by design; the protocol panel line printed below says which was chosen.
# Needs: xvfb kitty libgl1-mesa-dri x11-apps imagemagick xdotool tmux, a built reclip.
# Usage: scripts/real_kitty_tmux.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RECLIP=${RECLIP_BINARY:-$PWD/.build/release/reclip}
F=Tests/Fixtures/reclip
ENGINE="--weights $F/tiny_clip.safetensors --rectifier $F/reclip.safetensors --size 32"
OUT=$(mktemp -d)
export DISPLAY=:${XVFB_DISPLAY:-96}
export LIBGL_ALWAYS_SOFTWARE=1
PIDS=()
cleanup() { for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; sleep 0.2; done; tmux -L reclip-kitty-$$ kill-server 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT
Xvfb "$DISPLAY" -screen 0 2200x1400x24 -nolisten tcp >/dev/null 2>&1 & PIDS+=($!)
sleep 1
KITTY=(kitty --config NONE -o remember_window_size=no -o enable_audio_bell=no -o window_padding_width=0)
"${KITTY[@]}" python3 scripts/graphics_psnr.py probe "$OUT/cell" >/dev/null 2>&1 || true
[ -s "$OUT/cell" ] || { echo "kitty did not start or answer (no OpenGL?)"; exit 1; }
CELL=$(cat "$OUT/cell"); CW=${CELL%x*}; CH=${CELL#*x}
printf 'set -g allow-passthrough on\nset -g status off\nset -g default-terminal tmux-256color\n' > "$OUT/tmux.conf"
"${KITTY[@]}" -o initial_window_width=200c -o initial_window_height=60c \
  tmux -L reclip-kitty-$$ -f "$OUT/tmux.conf" new-session "$RECLIP samples $ENGINE; sleep 2" &
KT=$!; PIDS+=($KT)
W=""
for _ in $(seq 1 100); do W=$(xdotool search --onlyvisible --pid "$KT" 2>/dev/null | tail -1 || true); [ -n "$W" ] && break; sleep 0.1; done
[ -n "$W" ] || { echo "no kitty window"; exit 1; }
sleep 10
timeout 30 import -window "$W" -depth 8 "$OUT/shot.ppm"
convert "$OUT/shot.ppm" docs/screens/kitty-tmux.png
# What reclip detected inside tmux, and the composed panels of the same frame.
tmux -L reclip-kitty-$$ send-keys P; sleep 1
tmux -L reclip-kitty-$$ capture-pane -p | grep -i -m2 "graphics\|kitty" || true
tmux -L reclip-kitty-$$ send-keys Escape q; sleep 0.5
T="tmux -L reclip-ref-$$"
$T -f /dev/null new-session -d -x 200 -y 60 -s d "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm LANG=C.UTF-8 PS1='$ ' sh"
$T pipe-pane -t d -o "cat > $OUT/ref.kitty"
$T send-keys -t d "$RECLIP samples $ENGINE --graphics kitty --cell-size $CELL" Enter
for _ in $(seq 1 200); do $T capture-pane -p -t d | grep -q "engine" && break; sleep 0.1; done
sleep 1; $T pipe-pane -t d; $T send-keys -t d q; sleep 0.3; $T kill-server
echo "explorer in tmux in kitty, compare view (200x60, cells $CELL):"
python3 scripts/graphics_psnr.py explorer "$OUT/shot.ppm" "$OUT/ref.kitty" 0 0 "$CW" "$CH"
echo "screenshot: docs/screens/kitty-tmux.png"
