#!/usr/bin/env python3
"""Compares a terminal screenshot with the pictures reclip composed (standard library only).

The reference pixels come from reclip's own kitty bytes (f=24: the composed RGB, before any
palette), the screenshot from ImageMagick as a binary PPM. Usage:

  graphics_psnr.py render SHOT.ppm KITTY.bin X0 Y0            one `reclip render --graphics kitty` picture at (X0, Y0)
  graphics_psnr.py explorer SHOT.ppm KITTY.bin X0 Y0 CW CH    the explorer's panels: each at its cell (from the
                                                              ESC 7 ESC [ row ; col H before it), cells CW x CH pixels
  graphics_psnr.py crop SHOT.ppm KITTY.bin X0 Y0 CW CH ID OUT.ppm   writes panel ID's screen region and reference side by side
  graphics_psnr.py blank SHOT.ppm KITTY.bin X0 Y0 CW CH R,G,B  each panel's region: the share of its pixels that are R,G,B
                                                              (the background: no picture left there)

  graphics_psnr.py probe OUT                                 run inside a terminal: writes its cell size
                                                              (the CSI 16 t reply) as WxH to OUT

(X0, Y0) is the pixel of the text area's top-left cell in the screenshot (xterm: its 2-pixel border).
"""
import base64
import math
import re
import sys


def read_ppm(path):
    data = open(path, "rb").read()
    fields = []
    i = 0
    while len(fields) < 4:
        while data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            while data[i:i + 1] != b"\n":
                i += 1
            continue
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        fields.append(data[i:j])
        i = j
    assert fields[0] == b"P6" and fields[3] == b"255", "a binary 8-bit PPM"
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[i + 1:i + 1 + 3 * w * h]


def kitty_pictures(stream):
    """Each kitty transmission in `stream`: (row, column, id, width, height, rgb); the position
    from the cursor move before it (0-based), or None."""
    out = []
    pos = None
    current = None
    for m in re.finditer(rb"\x1b\[(\d+);(\d+)H|\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\", stream):
        if m.group(1):
            pos = (int(m.group(1)) - 1, int(m.group(2)) - 1)
            continue
        keys = dict(kv.split(b"=", 1) for kv in m.group(3).split(b",") if b"=" in kv)
        payload = m.group(4) or b""
        if keys.get(b"a") == b"T":
            current = {"keys": keys, "data": [payload], "pos": pos}
            if keys.get(b"m", b"0") == b"0":
                out.append(finish(current))
                current = None
        elif current is not None and b"a" not in keys:
            current["data"].append(payload)
            if keys.get(b"m") == b"0":
                out.append(finish(current))
                current = None
    return out


def finish(t):
    keys = t["keys"]
    assert keys.get(b"f") == b"24", "raw RGB transmissions only"
    rgb = base64.b64decode(b"".join(t["data"]))
    w, h = int(keys[b"s"]), int(keys[b"v"])
    assert len(rgb) == 3 * w * h
    row, col = t["pos"] if t["pos"] else (None, None)
    return row, col, int(keys.get(b"i", b"0")), w, h, rgb


def psnr(shot, x0, y0, w, h, rgb):
    sw, sh, pixels = shot
    assert x0 + w <= sw and y0 + h <= sh, "the picture lies outside the screenshot"
    total = 0
    for y in range(h):
        a = pixels[3 * ((y0 + y) * sw + x0):3 * ((y0 + y) * sw + x0 + w)]
        b = rgb[3 * y * w:3 * (y + 1) * w]
        total += sum((p - q) * (p - q) for p, q in zip(a, b))
    mse = total / (3 * w * h)
    return float("inf") if mse == 0 else 10 * math.log10(255 * 255 / mse)


def probe(out):
    import os, select, termios, tty
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    tty.setraw(fd)
    reply = b""
    try:
        os.write(sys.stdout.fileno(), b"\x1b[16t\x1b[c")
        while not re.search(rb"\x1b\[\?[0-9;]*c", reply):
            ready, _, _ = select.select([fd], [], [], 2)
            if not ready:
                break
            reply += os.read(fd, 256)
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, old)
    m = re.search(rb"\x1b\[6;(\d+);(\d+)t", reply)
    if m:
        open(out, "w").write(f"{int(m[2])}x{int(m[1])}")


def main(argv):
    if argv[1] == "probe":
        probe(argv[2])
        return
    mode, shot_path, kitty_path = argv[1], argv[2], argv[3]
    x0, y0 = int(argv[4]), int(argv[5])
    shot = read_ppm(shot_path)
    pictures = kitty_pictures(open(kitty_path, "rb").read())
    if mode == "render":
        _, _, _, w, h, rgb = pictures[-1]
        print(f"picture {w}x{h} at ({x0}, {y0}): PSNR {psnr(shot, x0, y0, w, h, rgb):.2f} dB")
        return
    cw, ch = int(argv[6]), int(argv[7])
    last = {}
    for p in pictures:
        last[p[2]] = p   # the last transmission of each id is what the screen shows
    if mode == "blank":
        background = bytes(int(v) for v in argv[8].split(","))
        sw, _, pixels = shot
        for i in sorted(last):
            row, col, _, w, h, _ = last[i]
            x, y = x0 + col * cw, y0 + row * ch
            same = sum(pixels[3 * ((y + yy) * sw + x + xx):3 * ((y + yy) * sw + x + xx) + 3] == background
                       for yy in range(h) for xx in range(w))
            print(f"panel id {i}: {w}x{h} pixels at cell ({col}, {row}): {100 * same / (w * h):.2f}% background")
        return
    if mode == "crop":
        row, col, i, w, h, rgb = last[int(argv[8])]
        sw, _, pixels = shot
        x, y = x0 + col * cw, y0 + row * ch
        out = bytearray()
        for yy in range(h):
            out += pixels[3 * ((y + yy) * sw + x):3 * ((y + yy) * sw + x + w)] + rgb[3 * yy * w:3 * (yy + 1) * w]
        open(argv[9], "wb").write(b"P6\n%d %d\n255\n" % (2 * w, h) + bytes(out))
        return
    for i in sorted(last):
        row, col, _, w, h, rgb = last[i]
        x, y = x0 + col * cw, y0 + row * ch
        print(f"panel id {i}: {w}x{h} pixels at cell ({col}, {row}) = pixel ({x}, {y}): "
              f"PSNR {psnr(shot, x, y, w, h, rgb):.2f} dB")


if __name__ == "__main__":
    main(sys.argv)
