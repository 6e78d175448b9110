#!/usr/bin/env bash
# Real terminals under Xvfb: xterm -ti vt340 (sixel, 256 colour registers) and, when it is
# installed, kitty (software OpenGL) run `reclip render` and the explorer with the protocol
# detected (xterm: DA1 lists 4, the cell size from the window-size ioctl; kitty: its graphics
# reply and CSI 16 t), take screenshots, and compare each picture's region with the pixels
# reclip composed (its own kitty f=24 bytes for the same picture and cell size): PSNR in dB.
# Saves docs/screens/xterm-sixel.png and docs/screens/kitty.png; checks that quitting leaves no
# picture behind in an xterm without an alternate screen; last, the explorer inside tmux
# inside kitty (docs/screens/kitty-tmux.png).
# Needs: xvfb xterm x11-apps imagemagick xdotool tmux (Debian; kitty and libgl1-mesa-dri for
# the kitty part), a built reclip (RECLIP_BINARY or .build/release/reclip).
# Usage: scripts/real_terminals.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RECLIP=${RECLIP_BINARY:-$PWD/.build/release/reclip}
F=Tests/Fixtures/reclip
ENGINE="--weights $F/tiny_clip.safetensors --rectifier $F/reclip.safetensors --size 32"
OUT=$(mktemp -d)
DISPLAY_NUMBER=${XVFB_DISPLAY:-97}
export DISPLAY=:$DISPLAY_NUMBER
XTERM=(xterm -ti vt340 -xrm 'XTerm*decTerminalID: vt340' -xrm 'XTerm*numColorRegisters: 256'
       -xrm 'XTerm*background: white' -xrm 'XTerm*foreground: black' -fn fixed)
PIDS=()
cleanup() { for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; sleep 0.2; done; rm -rf "$OUT"; }
trap cleanup EXIT
Xvfb "$DISPLAY" -screen 0 2000x1200x24 -nolisten tcp >/dev/null 2>&1 & PIDS+=($!)
sleep 1

# The explorer's composed panels for cells of $1 pixels: its kitty f=24 bytes in a 200x60 tmux,
# the same frame as the terminal shows (written to $2).
reference() {
  local T="tmux -L reclip-real-$$"
  $T -f /dev/null new-session -d -x 200 -y 60 -s d "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm LANG=C.UTF-8 PS1='$ ' sh"
  $T pipe-pane -t d -o "cat > $2"
  $T send-keys -t d "$RECLIP samples $ENGINE --graphics kitty --cell-size $1" Enter
  for _ in $(seq 1 200); do $T capture-pane -p -t d | grep -q "engine" && break; sleep 0.1; done
  sleep 1; $T pipe-pane -t d; $T send-keys -t d q; sleep 0.3; $T kill-server
}

window_of() {  # the X window of an xterm started with pid $1
  for _ in $(seq 1 100); do
    local w; w=$(xdotool search --onlyvisible --pid "$1" 2>/dev/null | tail -1 || true)
    [ -n "$w" ] && { echo "$w"; return; }
    sleep 0.05
  done
  echo "no xterm window" >&2; return 1
}

# 1. reclip render: the picture at the top-left cell (the text area starts inside a 2-pixel border).
"${XTERM[@]}" -geometry 100x40+0+0 -e sh -c "printf '\033[2J\033[H'; $RECLIP render samples/photos/astronaut.png --graphics sixel --width 60 --height 39; sleep 60" &
XT=$!; PIDS+=($XT)
W=$(window_of $XT); sleep 2
timeout 30 import -window "$W" -depth 8 "$OUT/render.ppm"
"$RECLIP" render samples/photos/astronaut.png --graphics kitty --cell-size 6x13 --width 60 --height 39 > "$OUT/render.kitty"
echo "reclip render --graphics sixel --width 60 (xterm 6x13 cells, 256 registers):"
python3 scripts/graphics_psnr.py render "$OUT/render.ppm" "$OUT/render.kitty" 2 2
kill $XT 2>/dev/null || true

# 2. The explorer, 200x60, compare view with the tiny fixture model.
"${XTERM[@]}" -geometry 200x60+0+0 -e sh -c "$RECLIP samples $ENGINE; sleep 1" &
XT=$!; PIDS+=($XT)
W=$(window_of $XT); sleep 5
timeout 30 import -window "$W" -depth 8 "$OUT/explorer.ppm"
mkdir -p docs/screens
convert "$OUT/explorer.ppm" docs/screens/xterm-sixel.png
reference 6x13 "$OUT/explorer.kitty"
echo "explorer, compare view (xterm 200x60, 6x13 cells; panels: image, raw CLIP, rectified):"
python3 scripts/graphics_psnr.py explorer "$OUT/explorer.ppm" "$OUT/explorer.kitty" 2 2 6 13
python3 scripts/graphics_psnr.py crop "$OUT/explorer.ppm" "$OUT/explorer.kitty" 2 2 6 13 240 "$OUT/crop.ppm"
convert "$OUT/crop.ppm" /tmp/xterm-sixel-panel-vs-composed.png
echo "screenshot: docs/screens/xterm-sixel.png; the image panel beside its composition: /tmp/xterm-sixel-panel-vs-composed.png"
xdotool windowfocus "$W" 2>/dev/null || true
xdotool key q 2>/dev/null || true
sleep 0.5

# 2b. Quitting leaves no picture behind, even without an alternate screen to hide it: the same
# explorer in an xterm with titeInhibit (smcup/rmcup ignored), screenshot after q. Each panel's
# region should be the background now: its share of white pixels, and its PSNR against the
# composed panel (low, since the picture is gone).
"${XTERM[@]}" -xrm 'XTerm*titeInhibit: true' -geometry 200x60+0+0 -e sh -c "$RECLIP samples $ENGINE; sleep 60" &
XT=$!; PIDS+=($XT)
W=$(window_of $XT); sleep 5
xdotool windowfocus "$W" 2>/dev/null || true
xdotool key q 2>/dev/null || true
sleep 1
timeout 30 import -window "$W" -depth 8 "$OUT/quit.ppm"
echo "explorer quit in an xterm without an alternate screen (titeInhibit), panel regions:"
python3 scripts/graphics_psnr.py blank "$OUT/quit.ppm" "$OUT/explorer.kitty" 2 2 6 13 255,255,255
python3 scripts/graphics_psnr.py explorer "$OUT/quit.ppm" "$OUT/explorer.kitty" 2 2 6 13
kill $XT 2>/dev/null || true

# 3. kitty, if it is installed and starts with software rendering.
command -v kitty >/dev/null || { echo "kitty is not installed: skipped"; exit 0; }
export LIBGL_ALWAYS_SOFTWARE=1
KITTY=(kitty --config NONE -o remember_window_size=no -o enable_audio_bell=no -o window_padding_width=0)
# Its cell size, as the explorer detects it (CSI 16 t).
"${KITTY[@]}" python3 scripts/graphics_psnr.py probe "$OUT/kitty-cell" >/dev/null 2>&1 || true
[ -s "$OUT/kitty-cell" ] || { echo "kitty did not start or answer (no OpenGL?): skipped"; exit 0; }
CELL=$(cat "$OUT/kitty-cell"); CW=${CELL%x*}; CH=${CELL#*x}
"${KITTY[@]}" -o initial_window_width=100c -o initial_window_height=40c sh -c "printf '\033[2J\033[H'; $RECLIP render samples/photos/astronaut.png --width 60 --height 39; sleep 60" &
KT=$!; PIDS+=($KT)
W=$(window_of $KT); sleep 3
timeout 30 import -window "$W" -depth 8 "$OUT/krender.ppm"
"$RECLIP" render samples/photos/astronaut.png --graphics kitty --cell-size "$CELL" --width 60 --height 39 > "$OUT/krender.kitty"
echo "reclip render in kitty (detected: kitty, cells $CELL):"
python3 scripts/graphics_psnr.py render "$OUT/krender.ppm" "$OUT/krender.kitty" 0 0
kill $KT 2>/dev/null || true
"${KITTY[@]}" -o initial_window_width=200c -o initial_window_height=60c sh -c "$RECLIP samples $ENGINE; sleep 1" &
KT=$!; PIDS+=($KT)
W=$(window_of $KT); sleep 7
timeout 30 import -window "$W" -depth 8 "$OUT/kexplorer.ppm"
convert "$OUT/kexplorer.ppm" docs/screens/kitty.png
reference "$CELL" "$OUT/kexplorer.kitty"
echo "explorer in kitty, compare view (200x60, cells $CELL):"
python3 scripts/graphics_psnr.py explorer "$OUT/kexplorer.ppm" "$OUT/kexplorer.kitty" 0 0 "$CW" "$CH"
xdotool windowfocus "$W" 2>/dev/null || true
xdotool key q 2>/dev/null || true
echo "screenshot: docs/screens/kitty.png"

# 4. The explorer inside tmux inside kitty (allow-passthrough on; KITTY_WINDOW_ID survives into
# tmux). From kitty 0.28, panels go through tmux as images placed by Unicode placeholders; an
# older kitty has no placeholders (Debian's 0.26.5 rejected the placement, "invalid key
# character: 0x55", and showed nothing), so reclip chooses cells there and the PSNR against the
# kitty reference stays low by design. The protocol panel's line says which was chosen.
sleep 1
TK="tmux -L reclip-kitty-$$"
printf 'set -g allow-passthrough on\nset -g status off\nset -g default-terminal tmux-256color\n' > "$OUT/tmux.conf"
"${KITTY[@]}" -o initial_window_width=200c -o initial_window_height=60c \
  $TK -f "$OUT/tmux.conf" new-session "$RECLIP samples $ENGINE; sleep 2" &
KT=$!; PIDS+=($KT)
W=$(window_of $KT); sleep 10
timeout 30 import -window "$W" -depth 8 "$OUT/ktmux.ppm"
convert "$OUT/ktmux.ppm" docs/screens/kitty-tmux.png
$TK send-keys P; sleep 1
$TK capture-pane -p | grep -m1 "pictures" || true
$TK send-keys Escape q; sleep 0.5; $TK kill-server 2>/dev/null || true
echo "explorer in tmux in kitty, compare view (200x60, cells $CELL):"
python3 scripts/graphics_psnr.py explorer "$OUT/ktmux.ppm" "$OUT/kexplorer.kitty" 0 0 "$CW" "$CH"
echo "screenshot: docs/screens/kitty-tmux.png"
