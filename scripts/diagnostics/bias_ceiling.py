#!/usr/bin/env python3
"""How much can subtracting a bias from MaskCLIP's logits gain at best? A supervised ceiling.

A diagnostic, never shipped: it fits biases with pixel labels, which nothing reclip trains on
may. ReCLIP rectifies L[k, p] = <f_p, t_k> (f_p the normalised dense feature of patch p, t_k
the text classifier) into L - alpha * (B_cls + B_spc), where B_cls[k, p] = <f_p, r_k> (r_k the
Reference-prompt embeddings, the K x D matrix of Frobenius norm 1) and B_spc[k, p] depends
only on the position. This script fits, by gradient descent on the pixel-level cross-entropy
of softmax(scale * rectified) on one world's scenes, and scores on another's:

  raw          nothing subtracted (reclip eval's raw figure, up to the resampling);
  class-const  a constant per class (the image-independent class preference);
  space        a constant per class and position (B_spc alone, free);
  class-const+space;
  reclip-form  B_cls with a free R (Frobenius norm at most 1, as ReCLIP normalises) + B_spc:
               the best any ReCLIP rectifier could reach on these features;
  probe        a free linear map of the features plus B_spc (no norm bound): the features' ceiling.

  python3 scripts/diagnostics/bias_ceiling.py --train DIR --test DIR [--count 300] [--weights W]

DIR is a `reclip world` dataset. Needs torch, numpy and Pillow. Runs `reclip features` once
per image and `reclip segment --dump` once for the text classifier.
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402


def load(reclip, weights, root, count, size):
    """Normalised dense features [N, D, h, w] and pixel labels [N, H, W] (255 ignored), kept
    in $TMPDIR/reclip-diagnostics/ per weights file, dataset, count and size."""
    import hashlib
    from PIL import Image
    stat = os.stat(weights)
    key = hashlib.sha256(f"{os.path.abspath(weights)} {stat.st_size} {stat.st_mtime} {os.path.abspath(root)} {count} {size}".encode()).hexdigest()[:24]
    memo = os.path.join(tempfile.gettempdir(), "reclip-diagnostics", key + ".npz")
    if os.path.exists(memo):
        z = np.load(memo)
        return torch.tensor(z["features"]), torch.tensor(z["labels"])
    ids = sorted(os.listdir(os.path.join(root, "JPEGImages")))[:count]
    feats, labels = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "f.safetensors")
        for name in ids:
            cmd = [reclip, "features", "--image", os.path.join(root, "JPEGImages", name), "--size", str(size), "--out", out]
            if weights:
                cmd[2:2] = ["--weights", weights]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            dense = read_safetensors(out)["dense"]                      # [h, w, D]
            dense /= np.linalg.norm(dense, axis=2, keepdims=True)
            feats.append(dense.transpose(2, 0, 1))
            labels.append(np.array(Image.open(os.path.join(root, "SegmentationClass", os.path.splitext(name)[0] + ".png"))))
    os.makedirs(os.path.dirname(memo), exist_ok=True)
    np.savez(memo + ".tmp.npz", features=np.stack(feats), labels=np.stack(labels).astype(np.int64))
    os.replace(memo + ".tmp.npz", memo)
    return torch.tensor(np.stack(feats)), torch.tensor(np.stack(labels).astype(np.int64))


def classifier(reclip, weights, root, classes, size):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "d.safetensors")
        image = os.path.join(root, "JPEGImages", sorted(os.listdir(os.path.join(root, "JPEGImages")))[0])
        cmd = [reclip, "segment", "--image", image, "--classes", ",".join(classes), "--size", str(size), "--dump", out]
        if weights:
            cmd[2:2] = ["--weights", weights]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return torch.tensor(read_safetensors(out)["classifier"])      # [K, D], rows normalised


def miou(logits, labels, k):
    """mmsegmentation mIoU over the whole split: logits [N, K, h, w] upsampled to the labels."""
    up = F.interpolate(logits, size=labels.shape[1:], mode="bilinear", align_corners=False)
    pred = up.argmax(1)
    valid = labels != 255
    m = torch.bincount(labels[valid] * k + pred[valid], minlength=k * k).reshape(k, k).double()
    inter = m.diag(); union = m.sum(0) + m.sum(1) - inter
    present = union > 0
    return float((inter[present] / union[present]).mean())


class Bias(torch.nn.Module):
    """raw - (class constant + space map + features x R), each part optional."""
    def __init__(self, k, d, h, w, const, space, linear, bounded):
        super().__init__()
        self.const = torch.nn.Parameter(torch.zeros(k, 1, 1)) if const else None
        self.space = torch.nn.Parameter(torch.zeros(k, h, w)) if space else None
        self.r = torch.nn.Parameter(torch.zeros(k, d)) if linear else None
        self.bounded = bounded

    def forward(self, f, t):
        logits = torch.einsum("ndhw,kd->nkhw", f, t)
        if self.r is not None:
            r = self.r
            if self.bounded:
                r = r / torch.clamp(r.norm(), min=1.0)                 # Frobenius norm at most 1
            logits = logits - torch.einsum("ndhw,kd->nkhw", f, r)
        if self.const is not None:
            logits = logits - self.const
        if self.space is not None:
            logits = logits - self.space
        return logits


def fit(model, f, t, labels, scale, steps, lr):
    if not list(model.parameters()):
        return model
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        up = F.interpolate(scale * model(f, t), size=labels.shape[1:], mode="bilinear", align_corners=False)
        loss = F.cross_entropy(up, labels, ignore_index=255)
        loss.backward()
        opt.step()
    return model


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--reclip", default=".build/release/reclip")
    a.add_argument("--weights", default="models/world/mini-clip.safetensors", help="CLIP weights (default: the bundled model)")
    a.add_argument("--train", required=True)
    a.add_argument("--test", required=True)
    a.add_argument("--count", type=int, default=300)
    a.add_argument("--size", type=int, default=96)
    a.add_argument("--scale", type=float, default=100.0, help="logit scale of the fitted softmax")
    a.add_argument("--steps", type=int, default=300)
    a.add_argument("--json", action="store_true")
    args = a.parse_args()
    torch.manual_seed(0)
    classes = open(os.path.join(args.train, "classes.txt")).read().split()
    k = len(classes)
    t = classifier(args.reclip, args.weights, args.train, classes, args.size)
    ftr, ytr = load(args.reclip, args.weights, args.train, args.count, args.size)
    fte, yte = load(args.reclip, args.weights, args.test, args.count, args.size)
    d, h, w = ftr.shape[1:]
    rows = {}
    for name, const, space, linear, bounded, lr in [
            ("raw", False, False, False, False, 0),
            ("class-const", True, False, False, False, 0.01),
            ("space", False, True, False, False, 0.01),
            ("class-const+space", True, True, False, False, 0.01),
            ("reclip-form", False, True, True, True, 0.01),
            ("probe", False, True, True, False, 0.01)]:
        m = fit(Bias(k, d, h, w, const, space, linear, bounded), ftr, t, ytr, args.scale, args.steps, lr)
        with torch.no_grad():
            rows[name] = {"train": miou(m(ftr, t), ytr, k), "test": miou(m(fte, t), yte, k)}
        print(f"{name:20s} train {100 * rows[name]['train']:5.1f}  test {100 * rows[name]['test']:5.1f}", flush=True)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
