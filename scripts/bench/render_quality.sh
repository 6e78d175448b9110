#!/usr/bin/env bash
# Scores half-block renderings of the sample images, ours against chafa and timg, by the PSNR
# of the pixels the ANSI text shows against the image area-averaged to the same grid.
# Usage: scripts/bench/render_quality.sh [COLSxROWS] [IMAGE...]
# Needs chafa and timg (apt-get install chafa timg) and a release build of reclip.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-160x50}; shift || true
cols=${size%x*}; rows=${size#*x}
images=("$@")
if [ ${#images[@]} -eq 0 ]; then
    images=(samples/photos/astronaut.png samples/photos/chelsea.png
            samples/photos/coffee.png samples/photos/rocket.jpg)
fi
reclip=.build/release/reclip
[ -x "$reclip" ] || swift build -c release --product reclip >&2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for image in "${images[@]}"; do
    echo "== $(basename "$image") in $size"
    "$reclip" render "$image" --width "$cols" --height "$rows" --colors truecolor > "$tmp/ours-tc"
    "$reclip" render "$image" --width "$cols" --height "$rows" --colors 256 > "$tmp/ours-256"
    "$reclip" render "$image" --width "$cols" --height "$rows" --colors 256 --color-distance oklab > "$tmp/ours-256-oklab"
    chafa -f symbols --symbols vhalf -c full -s "$size" "$image" > "$tmp/chafa-tc"
    chafa -f symbols --symbols vhalf -c 240 -s "$size" "$image" > "$tmp/chafa-256"
    timg -ph -g"$size" "$image" > "$tmp/timg-tc"
    timg -ph --color8 -g"$size" "$image" > "$tmp/timg-256"
    "$reclip" bench render "$image" --sizes "" \
        --ansi "reclip truecolor=$tmp/ours-tc" --ansi "chafa truecolor=$tmp/chafa-tc" --ansi "timg truecolor=$tmp/timg-tc" \
        --ansi "reclip 256=$tmp/ours-256" --ansi "reclip 256 oklab=$tmp/ours-256-oklab" --ansi "chafa 240=$tmp/chafa-256" --ansi "timg 256=$tmp/timg-256"
done
