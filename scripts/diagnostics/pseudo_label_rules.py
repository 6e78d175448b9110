#!/usr/bin/env python3
"""How good are label-free image-level pseudo labels, rule by rule, against a world's truth?

A diagnostic, never shipped. ReCLIP learns its bias from image-level pseudo labels; with the
true labels (`image_labels.py`) a rectifier does better than with the global top-k, so this
script scores candidate rules, each computed without labels from the frozen CLIP, against the
true labels (classes covering at least --min-share of an image), and writes each rule's labels
as a `reclip train --image-labels` file so that a rule can be tried before it is built:

  global top-k       the k best classes of the global embedding (the bundled ReCLIP rule);
  dense share >= s   classes that raw MaskCLIP's arg-max gives at least a share s of the patches;
  dense top-k        the k classes with the largest arg-max share;
  dense or global    the union of "dense share >= s" and "global top-k".

  python3 scripts/diagnostics/pseudo_label_rules.py --weights W --world DIR [--count N] [--out-dir D]
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np
from PIL import Image
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402


def extract(reclip, weights, root, names, size):
    """Normalised dense features [N, h*w, D] and global embeddings [N, D], cached per input."""
    import hashlib
    st = os.stat(weights)
    key = hashlib.sha256(f"{os.path.abspath(weights)} {st.st_size} {st.st_mtime} {os.path.abspath(root)} {len(names)} {size}".encode()).hexdigest()[:24]
    memo = os.path.join(tempfile.gettempdir(), "reclip-diagnostics", "rules-" + key + ".npz")
    if os.path.exists(memo):
        z = np.load(memo)
        return z["dense"], z["global"]
    dense, glob = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "f.safetensors")
        for n in names:
            subprocess.run([reclip, "features", "--weights", weights, "--image", os.path.join(root, "JPEGImages", n),
                            "--size", str(size), "--out", out], check=True, stdout=subprocess.DEVNULL)
            t = read_safetensors(out)
            d = t["dense"].reshape(-1, t["dense"].shape[-1])
            dense.append(d / np.linalg.norm(d, axis=1, keepdims=True))
            glob.append(t["global"] / np.linalg.norm(t["global"]))
    os.makedirs(os.path.dirname(memo), exist_ok=True)
    np.savez(memo + ".tmp.npz", dense=np.stack(dense), **{"global": np.stack(glob)})
    os.replace(memo + ".tmp.npz", memo)
    return np.stack(dense), np.stack(glob)


def classifier(reclip, weights, root, classes, size):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "d.safetensors")
        image = os.path.join(root, "JPEGImages", sorted(os.listdir(os.path.join(root, "JPEGImages")))[0])
        subprocess.run([reclip, "segment", "--weights", weights, "--image", image, "--classes", ",".join(classes),
                        "--size", str(size), "--dump", out], check=True, stdout=subprocess.DEVNULL)
        return read_safetensors(out)["classifier"]


def top(scores, k):
    return [set(np.argsort(-s, kind="stable")[:k].tolist()) for s in scores]


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--reclip", default=".build/release/reclip")
    a.add_argument("--weights", default="models/world/mini-clip.safetensors")
    a.add_argument("--world", required=True)
    a.add_argument("--count", type=int, default=1000)
    a.add_argument("--size", type=int, default=96)
    a.add_argument("--min-share", type=float, default=0.02)
    a.add_argument("--out-dir", help="write each rule's labels here as NAME.json for reclip train --image-labels")
    args = a.parse_args()
    classes = open(os.path.join(args.world, "classes.txt")).read().split()
    k = len(classes)
    names = sorted(os.listdir(os.path.join(args.world, "JPEGImages")))[:args.count]
    truth = []
    for n in names:
        mask = np.array(Image.open(os.path.join(args.world, "SegmentationClass", os.path.splitext(n)[0] + ".png")))
        c = np.bincount(mask[mask != 255].ravel(), minlength=k)[:k]
        truth.append(set(np.flatnonzero(c / max(c.sum(), 1) >= args.min_share).tolist()) or {int(c.argmax())})
    dense, glob = extract(args.reclip, args.weights, args.world, names, args.size)
    t = classifier(args.reclip, args.weights, args.world, classes, args.size)
    g = glob @ t.T                                                        # [N, K] global cosines
    arg = np.einsum("npd,kd->npk", dense, t).argmax(2)                   # [N, P] raw arg-max
    share = np.stack([np.bincount(a_, minlength=k) / a_.size for a_ in arg])   # [N, K]

    rules = {}
    for kk in range(2, 8):
        rules[f"global top-{kk}"] = top(g, kk)
    for s in (0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30):
        rules[f"dense share >= {s:g}"] = [set(np.flatnonzero(r >= s).tolist()) or {int(r.argmax())} for r in share]
    for kk in (1, 2, 3, 4, 5):
        rules[f"dense top-{kk}"] = [set(x) & set(np.flatnonzero(r > 0).tolist()) for x, r in zip(top(share, kk), share)]
    for s in (0.02, 0.05):
        for kk in (2, 3):
            rules[f"dense share >= {s:g} or global top-{kk}"] = [a_ | b_ for a_, b_ in zip(rules[f"dense share >= {s:g}"], top(g, kk))]
            rules[f"dense share >= {s:g} and global top-{kk + 2}"] = [
                (a_ & b_) or a_ for a_, b_ in zip(rules[f"dense share >= {s:g}"], top(g, kk + 2))]

    print(f"{len(names)} images of {args.world}, {k} classes, {np.mean([len(x) for x in truth]):.2f} true classes each (share >= {args.min_share:g})")
    print(f"| rule | labels per image | precision | recall | F1 | exact sets |")
    print(f"|---|---|---|---|---|---|")
    for name, sets in rules.items():
        tp = sum(len(p & q) for p, q in zip(sets, truth)); np_ = sum(len(p) for p in sets); nt = sum(len(q) for q in truth)
        pr, rc = tp / max(np_, 1), tp / max(nt, 1)
        f1 = 2 * pr * rc / max(pr + rc, 1e-12)
        exact = np.mean([p == q for p, q in zip(sets, truth)])
        print(f"| {name} | {np_ / len(sets):.2f} | {pr:.3f} | {rc:.3f} | {f1:.3f} | {exact:.3f} |")
        if args.out_dir:
            os.makedirs(args.out_dir, exist_ok=True)
            file = os.path.join(args.out_dir, name.replace(" ", "").replace(">=", "ge") + ".json")
            json.dump({n: [classes[c] for c in sorted(p)] for n, p in zip(names, sets)}, open(file, "w"), indent=0)


if __name__ == "__main__":
    main()
