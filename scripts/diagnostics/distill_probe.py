#!/usr/bin/env python3
"""How much could ReCLIP's distillation stage add on the world? (a diagnostic, never shipped)

The authors' distillation (dogehhh/ReCLIP tools/distill.py) trains a separate segmentation
network on the rectified CLIP's own masks, without labels. This script measures the idea on
the scene world before any of it is built in Swift: a small CNN on the image pixels alone is
trained by cross-entropy on pseudo masks (a folder of palette PNGs, e.g. written by
`reclip segment --rectifier reclip++ --mask-out`), then scored on a labelled folder.

  python3 distill_probe.py --images W10/JPEGImages --masks PM --val W11 [--val-masks PV] [--test W777 ...]

--val-masks scores those masks too (the teacher) with the same mIoU, as a check that the
script's mIoU is `reclip eval`'s.
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def load_folder(folder, names, mode):
    out = []
    for n in names:
        img = Image.open(os.path.join(folder, n))
        out.append(np.array(img.convert("RGB") if mode == "rgb" else img))
    return np.stack(out)


def miou(pred, gt, k):
    valid = gt != 255
    cm = np.bincount(gt[valid].astype(np.int64) * k + pred[valid].astype(np.int64), minlength=k * k).reshape(k, k)
    inter = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - np.diag(cm)
    present = union > 0
    return float((inter[present] / union[present]).mean() * 100), inter / np.maximum(union, 1) * 100


class Student(nn.Module):
    """Conv3x3 + BN + ReLU stacks at half resolution; dilations widen the view."""

    def __init__(self, k, width, dilations, input_scale):
        super().__init__()
        layers = []
        c = 3
        for d in dilations:
            layers += [nn.Conv2d(c, width, 3, padding=d, dilation=d), nn.BatchNorm2d(width), nn.ReLU()]
            c = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, k, 1)
        self.input_scale = input_scale

    def forward(self, x):
        h, w = x.shape[2:]
        if self.input_scale != 1:
            x = F.interpolate(x, scale_factor=self.input_scale, mode="bilinear", align_corners=False,
                              antialias=True)
        y = self.head(self.body(x))
        return F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", required=True)
    p.add_argument("--masks", required=True)
    p.add_argument("--val", required=True)
    p.add_argument("--val-masks")
    p.add_argument("--classes", type=int, default=12)
    p.add_argument("--width", type=int, default=48)
    p.add_argument("--dilations", default="1,1,2,4,8,1")
    p.add_argument("--input-scale", type=float, default=0.5)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--flip", action="store_true")
    p.add_argument("--test", action="append", default=[],
                   help="a labelled folder scored once, after the last epoch (repeatable)")
    p.add_argument("--save-train-masks", help="write the student's masks of the training images here (a next round's pseudo masks)")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    k = args.classes

    names = sorted(f for f in os.listdir(args.masks) if f.endswith(".png"))
    x = load_folder(args.images, names, "rgb")
    y = load_folder(args.masks, names, "p").astype(np.int64)
    val_names = sorted(os.listdir(os.path.join(args.val, "SegmentationClass")))
    vx = load_folder(os.path.join(args.val, "JPEGImages"), val_names, "rgb")
    vy = load_folder(os.path.join(args.val, "SegmentationClass"), val_names, "p")
    if args.val_masks:
        vp = load_folder(args.val_masks, val_names, "p")
        print("teacher on val: mIoU %.2f" % miou(vp, vy, k)[0])

    mean = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)[:, None, None]
    std = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)[:, None, None]
    def prep(a):
        return torch.from_numpy((a.transpose(0, 3, 1, 2).astype(np.float32) / 255 - mean) / std)
    tx, ty, tvx = prep(x), torch.from_numpy(y), prep(vx)

    model = Student(k, args.width, [int(d) for d in args.dilations.split(",")], args.input_scale)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    steps = args.epochs * ((len(tx) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (1 - s / steps) ** 0.9)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(tx))
        total = 0.0
        for i in range(0, len(tx), args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = tx[idx], ty[idx]
            if args.flip and np.random.rand() < 0.5:
                xb, yb = xb.flip(3), yb.flip(2)
            loss = F.cross_entropy(model(xb), yb, ignore_index=255)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(tvx[i:i + 50]) for i in range(0, len(tvx), 50)]).argmax(1).numpy()
        m, per = miou(pred, vy, k)
        print("epoch %d loss %.4f val mIoU %.2f (%.0f s)" % (epoch + 1, total / len(tx), m, time.time() - t0), flush=True)
    print("per class:", " ".join("%.1f" % v for v in per))
    for folder in args.test:
        test_names = sorted(os.listdir(os.path.join(folder, "SegmentationClass")))
        sx = prep(load_folder(os.path.join(folder, "JPEGImages"), test_names, "rgb"))
        sy = load_folder(os.path.join(folder, "SegmentationClass"), test_names, "p")
        with torch.no_grad():
            pred = torch.cat([model(sx[i:i + 50]) for i in range(0, len(sx), 50)]).argmax(1).numpy()
        print("test %s: mIoU %.2f" % (folder, miou(pred, sy, k)[0]))
    if args.save_train_masks:
        os.makedirs(args.save_train_masks, exist_ok=True)
        with torch.no_grad():
            pred = torch.cat([model(tx[i:i + 50]) for i in range(0, len(tx), 50)]).argmax(1).numpy()
        palette = Image.open(os.path.join(args.masks, names[0])).getpalette()
        for n, m in zip(names, pred):
            img = Image.fromarray(m.astype(np.uint8), mode="P")
            img.putpalette(palette)
            img.save(os.path.join(args.save_train_masks, n))


if __name__ == "__main__":
    main()
