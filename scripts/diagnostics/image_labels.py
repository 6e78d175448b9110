#!/usr/bin/env python3
"""Write a world dataset's true image-level labels for `reclip train --image-labels`.

A diagnostic, never used for a bundled rectifier: a class is in an image when it covers at
least --min-share of the image's labelled pixels (from SegmentationClass/). Training on these
instead of the pseudo labels measures what the unsupervised pseudo labels cost.

  python3 scripts/diagnostics/image_labels.py DIR OUT.json [--min-share 0.02]
"""
import argparse, json, os
import numpy as np
from PIL import Image

a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
a.add_argument("root"); a.add_argument("out")
a.add_argument("--min-share", type=float, default=0.02)
args = a.parse_args()
classes = open(os.path.join(args.root, "classes.txt")).read().split()
out = {}
for name in sorted(os.listdir(os.path.join(args.root, "JPEGImages"))):
    mask = np.array(Image.open(os.path.join(args.root, "SegmentationClass", os.path.splitext(name)[0] + ".png")))
    counts = np.bincount(mask[mask != 255].ravel(), minlength=len(classes))[:len(classes)]
    share = counts / max(counts.sum(), 1)
    names = [classes[k] for k in range(len(classes)) if share[k] >= args.min_share]
    out[name] = names or [classes[int(counts.argmax())]]
json.dump(out, open(args.out, "w"), indent=0)
print(f"{len(out)} images, {np.mean([len(v) for v in out.values()]):.2f} classes each: {args.out}")
