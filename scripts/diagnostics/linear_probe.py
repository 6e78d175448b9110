#!/usr/bin/env python3
"""Linear probe on a CLIP's frozen MaskCLIP dense features: do the features hold the classes?

A diagnostic, never shipped: it uses pixel labels, which nothing reclip trains on may.
Patches whose majority class covers at least --purity of the patch are kept; a multinomial
logistic regression is fitted on the patches of one world dataset and scored on another.
Beside `reclip eval` (MaskCLIP through the text classifier) it tells whether a weak
segmentation is the features' fault (probe low too) or the alignment with text (probe high).

  python3 scripts/diagnostics/linear_probe.py --weights W --train DIR --test DIR [--count 300]

DIR is a `reclip world` dataset (JPEGImages/, SegmentationClass/, classes.txt). Needs numpy
and Pillow (`pip install numpy pillow`); runs `reclip features` once per image.
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402

def read_png_indices(path):
    """The class index per pixel of a VOC mask PNG, uint8 [H, W] (palette indices, not colours)."""
    from PIL import Image
    return np.array(Image.open(path))

def patches(reclip, weights, root, count, size, purity, classes):
    ids = sorted(os.listdir(os.path.join(root, "JPEGImages")))[:count]
    xs, ys = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(ids):
            out = os.path.join(tmp, "f.safetensors")
            subprocess.run([reclip, "features", "--weights", weights, "--image", os.path.join(root, "JPEGImages", name),
                            "--size", str(size), "--out", out], check=True, stdout=subprocess.DEVNULL)
            dense = read_safetensors(out)["dense"]          # [h, w, D]
            mask = read_png_indices(os.path.join(root, "SegmentationClass", name))
            gh, gw, _ = dense.shape
            p = mask.shape[0] // gh
            for y in range(gh):
                for x in range(gw):
                    cell = mask[y * p:(y + 1) * p, x * p:(x + 1) * p].ravel()
                    counts = np.bincount(cell[cell != 255], minlength=len(classes))
                    if counts.sum() and counts.max() >= purity * cell.size:
                        xs.append(dense[y, x]); ys.append(int(counts.argmax()))
    x = np.array(xs, np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.array(ys)

def fit(x, y, k, steps=600, lr=2.0, decay=1e-4):
    w = np.zeros((x.shape[1] + 1, k), np.float32)
    xb = np.hstack([x, np.ones((len(x), 1), np.float32)])
    onehot = np.eye(k, dtype=np.float32)[y]
    for _ in range(steps):
        z = xb @ w
        z -= z.max(1, keepdims=True)
        p = np.exp(z); p /= p.sum(1, keepdims=True)
        w -= lr * (xb.T @ (p - onehot) / len(x) + decay * w)
    return w

def scores(pred, y, k):
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (y, pred), 1)
    inter = np.diag(m); union = m.sum(0) + m.sum(1) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    return float(np.nanmean(iou)), float(inter.sum() / m.sum()), iou

def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--weights", required=True)
    a.add_argument("--train", required=True)
    a.add_argument("--test", required=True)
    a.add_argument("--count", type=int, default=300)
    a.add_argument("--size", type=int, default=96)
    a.add_argument("--purity", type=float, default=0.6)
    a.add_argument("--reclip", default=".build/release/reclip")
    args = a.parse_args()
    classes = open(os.path.join(args.train, "classes.txt")).read().split()
    k = len(classes)
    xtr, ytr = patches(args.reclip, args.weights, args.train, args.count, args.size, args.purity, classes)
    xte, yte = patches(args.reclip, args.weights, args.test, min(args.count, 200), args.size, args.purity, classes)
    w = fit(xtr, ytr, k)
    pred = (np.hstack([xte, np.ones((len(xte), 1), np.float32)]) @ w).argmax(1)
    miou, acc, iou = scores(pred, yte, k)
    print(json.dumps({"weights": args.weights, "train_patches": len(ytr), "test_patches": len(yte),
                      "probe_mIoU": miou, "probe_patch_accuracy": acc,
                      "per_class": {c: (None if np.isnan(v) else float(v)) for c, v in zip(classes, iou)}}))

if __name__ == "__main__":
    main()
