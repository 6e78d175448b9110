#!/usr/bin/env python3
"""Render an ANSI terminal capture (e.g. `tmux capture-pane -e -p`) to a PNG for the docs.

Usage: ansi_to_png.py CAPTURE.ans OUT.png [--cols N] [--rows N]

Cells are 9x18 pixels; half blocks are drawn as exact rectangles, text with DejaVu Sans
Mono. Handles the SGR codes the explorer and `reclip render` emit: reset, bold, reverse,
16/256/24-bit foreground and background. Needs Pillow (a docs-time tool, not used in CI).
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

CELL_W, CELL_H = 9, 18
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BASE16 = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
          (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139),
          (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]
DEFAULT_FG, DEFAULT_BG = (220, 220, 220), (24, 24, 28)


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return (levels[n // 36], levels[(n // 6) % 6], levels[n % 6])
    g = 8 + 10 * (n - 232)
    return (g, g, g)


def parse(text):
    """Yields rows of cells (char, fg, bg)."""
    rows = []
    fg, bg, reverse, bold = None, None, False, False
    for line in text.split("\n"):
        row = []
        i = 0
        while i < len(line):
            m = re.match(r"\x1b\[([0-9;]*)m", line[i:])
            if m:
                codes = [int(c) if c else 0 for c in m.group(1).split(";")]
                j = 0
                while j < len(codes):
                    c = codes[j]
                    if c == 0:
                        fg, bg, reverse, bold = None, None, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        reverse = True
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASE16[c - 30 + (8 if bold else 0)]
                    elif 90 <= c <= 97:
                        fg = BASE16[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASE16[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE16[c - 100 + 8]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and j + 1 < len(codes):
                        if codes[j + 1] == 5 and j + 2 < len(codes):
                            col = xterm256(codes[j + 2])
                            j += 2
                        elif codes[j + 1] == 2 and j + 4 < len(codes):
                            col = tuple(codes[j + 2:j + 5])
                            j += 4
                        else:
                            col = None
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                    j += 1
                i += m.end()
                continue
            if line[i] == "\x1b":  # another escape: skip it
                m = re.match(r"\x1b(\[[0-9;?]*[A-Za-z]|.)", line[i:])
                i += m.end() if m else 1
                continue
            f, b = fg or DEFAULT_FG, bg or DEFAULT_BG
            if reverse:
                f, b = b, f
            row.append((line[i], f, b))
            i += 1
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def main():
    src, out = sys.argv[1], sys.argv[2]
    rows = parse(open(src, encoding="utf-8", errors="replace").read())
    cols = max(len(r) for r in rows)
    img = Image.new("RGB", (cols * CELL_W, len(rows) * CELL_H), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 14)
    for y, row in enumerate(rows):
        for x, (ch, f, b) in enumerate(row):
            x0, y0 = x * CELL_W, y * CELL_H
            draw.rectangle([x0, y0, x0 + CELL_W - 1, y0 + CELL_H - 1], fill=b)
            if ch == "▀":
                draw.rectangle([x0, y0, x0 + CELL_W - 1, y0 + CELL_H // 2 - 1], fill=f)
            elif ch == "▄":
                draw.rectangle([x0, y0 + CELL_H // 2, x0 + CELL_W - 1, y0 + CELL_H - 1], fill=f)
            elif ch == "█":
                draw.rectangle([x0, y0, x0 + CELL_W - 1, y0 + CELL_H - 1], fill=f)
            elif ch != " ":
                draw.text((x0, y0 + 1), ch, font=font, fill=f)
    img.save(out)


if __name__ == "__main__":
    main()
