#!/usr/bin/env python3
"""Does ReCLIP's label-free objective reward the right bias on this CLIP's features?

A diagnostic, never shipped. `bias_ceiling.py` shows that a space bias fitted with pixel labels
raises MaskCLIP's mIoU; `reclip train` with the true image-level labels (--image-labels) does
not find it. This script separates the two possible reasons:

  1. the objective: the ReCLIP loss (METHOD.md section 6: per labelled class, mask-pool the
     normalised features under the rectified arg-max, classify the pooled feature with
     logit_scale * pooled @ T^T, cross-entropy) is evaluated at zero bias and at the
     supervised space bias; if the supervised bias does not lower it, no optimiser can help;
  2. what its optimum resembles: raw MaskCLIP with the absent classes removed, per image;
  With --prototypes the text classifier is replaced by class prototypes (each class's mean
  feature over its true regions): the same checks for a CLIP whose pooled regions are named.
  3. the optimisation: a free space bias (K x h x w, no network), then ReCLIP's whole form
     (a free R of Frobenius norm at most 1 for the class bias, plus the map) is fitted to the
     ReCLIP loss itself (true image labels, a soft arg-max at --temperature); mIoU reported.

  python3 scripts/diagnostics/objective_check.py --train DIR --test DIR [--count 200]
"""
import argparse, os, sys
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bias_ceiling import Bias, classifier, fit, load, miou, read_safetensors  # noqa: E402


def present(labels, k, min_share=0.02):
    """True image-level labels [N, K]: classes covering at least min_share of an image."""
    out = torch.zeros(len(labels), k, dtype=torch.bool)
    for i, y in enumerate(labels):
        c = torch.bincount(y[y != 255].flatten(), minlength=k)[:k].double()
        out[i] = c / c.sum() >= min_share
    return out


def reclip_loss(rect, f, t, labels, logit_scale, temperature=None):
    """Mean over images and labelled classes of the ReCLIP cross-entropy. rect [N, K, h, w];
    hard arg-max masks, or softmax(rect / temperature) when a temperature is given."""
    n, k = rect.shape[:2]
    masks = F.softmax(rect / temperature, 1) if temperature else F.one_hot(rect.argmax(1), k).permute(0, 3, 1, 2).float()
    pooled = torch.einsum("ndhw,nkhw->nkd", f, masks) / (rect.shape[2] * rect.shape[3])   # [N, K(mask), D]
    sim = logit_scale * torch.einsum("nkd,jd->nkj", pooled, t)                              # [N, K(mask), K]
    ce = F.cross_entropy(sim.reshape(n * k, k), torch.arange(k).repeat(n), reduction="none").reshape(n, k)
    return float((ce * labels).sum() / labels.sum()) if temperature is None else (ce * labels).sum() / labels.sum()


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--reclip", default=".build/release/reclip")
    a.add_argument("--weights", default="models/world/mini-clip.safetensors")
    a.add_argument("--train", required=True)
    a.add_argument("--test", required=True)
    a.add_argument("--count", type=int, default=200)
    a.add_argument("--size", type=int, default=96)
    a.add_argument("--temperature", type=float, default=0.01)
    a.add_argument("--steps", type=int, default=300)
    a.add_argument("--prototypes", action="store_true",
                   help="replace the text classifier by each class's mean feature over its true regions in --train: "
                        "what a CLIP that recognises every pooled region would offer the objective")
    args = a.parse_args()
    torch.manual_seed(0)
    classes = open(os.path.join(args.train, "classes.txt")).read().split()
    k = len(classes)
    scale = float(np.exp(read_safetensors(args.weights)["logit_scale"]))
    t = classifier(args.reclip, args.weights, args.train, classes, args.size)
    ftr, ytr = load(args.reclip, args.weights, args.train, args.count, args.size)
    fte, yte = load(args.reclip, args.weights, args.test, args.count, args.size)
    ptr = present(ytr, k)
    d, h, w = ftr.shape[1:]
    if args.prototypes:
        area = F.interpolate(F.one_hot(ytr.clamp(max=k - 1), k).permute(0, 3, 1, 2).float() * (ytr != 255)[:, None].float(),
                             size=(h, w), mode="area")
        t = F.normalize(torch.einsum("ndhw,nkhw->kd", ftr, area), dim=1)
        print("text classifier replaced by the class prototypes of --train")
    raw = Bias(k, d, h, w, False, False, False, False)
    supervised = fit(Bias(k, d, h, w, False, True, False, False), ftr, t, ytr, 100.0, args.steps, 0.01)
    with torch.no_grad():
        for name, m in [("zero bias", raw), ("supervised space bias", supervised)]:
            print(f"{name:28s} ReCLIP loss (hard masks, true labels) {reclip_loss(m(ftr, t), ftr, t, ptr, scale):.4f}"
                  f"  mIoU train {100 * miou(m(ftr, t), ytr, k):.1f} test {100 * miou(m(fte, t), yte, k):.1f}", flush=True)
        # The objective at the true masks: if the ground truth scores worse than raw MaskCLIP,
        # the objective itself prefers the wrong segmentation on these features.
        gt = F.interpolate(F.one_hot(ytr.clamp(max=k - 1), k).permute(0, 3, 1, 2).float() * (ytr != 255)[:, None].float(),
                           size=(h, w), mode="area")
        pooled = torch.einsum("ndhw,nkhw->nkd", ftr, gt) / (h * w)
        sim = scale * torch.einsum("nkd,jd->nkj", pooled, t)
        ce = F.cross_entropy(sim.reshape(-1, k), torch.arange(k).repeat(len(ytr)), reduction="none").reshape(-1, k)
        print(f"{'ground-truth masks':28s} ReCLIP loss (soft area masks, true labels) {float((ce * ptr).sum() / ptr.sum()):.4f}")
        top = sim.argmax(2)
        row = "  ".join(f"{classes[c]} {100 * float((top[:, c] == c)[ptr[:, c]].float().mean()):.0f}%" for c in range(k))
        print(f"each true region pooled and classified by the text classifier (top-1): {row}", flush=True)
        # What the objective's optimum resembles: each labelled class takes the pixels where its
        # logit beats the others', so raw MaskCLIP restricted to the image's true classes.
        pte = present(yte, k)
        lte = raw(fte, t) - 1e3 * (~pte).float()[:, :, None, None]
        print(f"raw restricted to each image's true classes: mIoU test {100 * miou(lte, yte, k):.1f}", flush=True)
    for name, linear in [("space bias", False), ("ReCLIP form (free R, |R|_F <= 1, and a map)", True)]:
        free = Bias(k, d, h, w, False, True, linear, True)
        if linear:
            torch.nn.init.normal_(free.r, std=1e-3)
        opt = torch.optim.Adam(free.parameters(), lr=0.002)
        for step in range(args.steps):
            opt.zero_grad()
            loss = reclip_loss(free(ftr, t), ftr, t, ptr, scale, temperature=args.temperature)
            loss.backward()
            opt.step()
            if (step + 1) % 100 == 0:
                with torch.no_grad():
                    print(f"objective-fitted {name}, step {step + 1}: soft loss {float(loss):.4f}, hard loss "
                          f"{reclip_loss(free(ftr, t), ftr, t, ptr, scale):.4f}, mIoU train {100 * miou(free(ftr, t), ytr, k):.1f} "
                          f"test {100 * miou(free(fte, t), yte, k):.1f}", flush=True)


if __name__ == "__main__":
    main()
