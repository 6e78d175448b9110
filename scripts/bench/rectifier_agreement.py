#!/usr/bin/env python3
"""How far two rectifiers' segmentations differ, patch by patch: the share of patches whose
rectified arg-max (alpha 1, the patch grid) agrees, and the largest rectified-logit deviation,
over the images of a dataset. Made for issue 16's check of a rectifier trained with the bf16
text tower (`reclip train --precision bf16`) against the same run in fp32.

    python3 scripts/bench/rectifier_agreement.py --a R_fp32.safetensors --b R_bf16.safetensors \
        --dataset DIR [--weights W] [--count 200] [--size 96]
"""
import argparse, os, subprocess, sys, tempfile
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diagnostics"))
from safetensors_np import read_safetensors  # noqa: E402


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--reclip", default=".build/release/reclip")
    a.add_argument("--weights", default="models/world/mini-clip.safetensors")
    a.add_argument("--a", required=True, help="the reference rectifier (fp32)")
    a.add_argument("--b", required=True, help="the rectifier compared with it")
    a.add_argument("--dataset", required=True)
    a.add_argument("--count", type=int, default=200)
    a.add_argument("--size", type=int, default=96)
    args = a.parse_args()
    folder = os.path.join(args.dataset, "JPEGImages")
    names = sorted(os.listdir(folder))[:args.count]
    classes = ",".join(open(os.path.join(args.dataset, "classes.txt")).read().split())
    agree = total = 0
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            maps = []
            for side, rectifier in (("a", args.a), ("b", args.b)):
                dump = os.path.join(tmp, side + ".safetensors")
                subprocess.run([args.reclip, "segment", "--weights", args.weights, "--image", os.path.join(folder, name),
                                "--rectifier", rectifier, "--classes", classes, "--size", str(args.size), "--dump", dump],
                               check=True, stdout=subprocess.DEVNULL)
                maps.append(read_safetensors(dump)["rectified"])
            if not (np.isfinite(maps[0]).all() and np.isfinite(maps[1]).all()):
                sys.exit(f"{name}: rectified logits not finite")
            agree += int((maps[0].argmax(0) == maps[1].argmax(0)).sum())
            total += maps[0][0].size
            worst = max(worst, float(np.abs(maps[0] - maps[1]).max()))
    print(f"{len(names)} images, {total} patches: arg-max agreement {100 * agree / total:.2f} %, "
          f"largest rectified-logit deviation {worst:.4f}")


if __name__ == "__main__":
    main()
