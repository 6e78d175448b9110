#!/usr/bin/env python3
"""Writes Sources/CLIP/Resources/text_cleaning_tables.txt.

The tables CLIP's tokenizer needs for its text clean-up, dumped from Python's own data so
the Swift port decodes exactly the same things:
  html5     NAME  HEX...   Python's html.entities.html5 (used by html.unescape)
  ftfyhtml  NAME  HEX...   ftfy's extra upper-cased entities ("&NTILDE;"), beyond html5
  width     HEX   HEX...   ftfy's halfwidth/fullwidth map
  ligature  HEX   HEX...   ftfy's Latin ligature map
Run by hand: python3 scripts/make_text_tables.py
"""
import html
import html.entities
import os
from ftfy import chardata

def hexs(s):
    return " ".join("%X" % ord(c) for c in s)

root = os.path.join(os.path.dirname(__file__), "..")
out = os.path.join(root, "Sources/CLIP/Resources/text_cleaning_tables.txt")
lines = []
for name, value in sorted(html.entities.html5.items()):
    lines.append("html5\t%s\t%s" % (name, hexs(value)))
for name, value in sorted(chardata.HTML_ENTITIES.items()):
    if name[1:] not in html.entities.html5:
        lines.append("ftfyhtml\t%s\t%s" % (name[1:], hexs(value)))
for k, v in sorted(chardata.WIDTH_MAP.items()):
    lines.append("width\t%X\t%s" % (k, hexs(v)))
for k, v in sorted(chardata.LIGATURES.items()):
    lines.append("ligature\t%X\t%s" % (k, hexs(v)))
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(out, len(lines))
# html.unescape's numeric fix-ups:
#   charref   HEX  HEX...   code points html.unescape maps (e.g. 0x80 -> U+20AC)
#   invalidcp HEX HEX ...   code points html.unescape drops
with open(out, "a") as f:
    for k, v in sorted(html._invalid_charrefs.items()):
        f.write("charref\t%X\t%s\n" % (k, hexs(v)))
    f.write("invalidcp\t" + " ".join("%X" % c for c in sorted(html._invalid_codepoints)) + "\n")
