#!/usr/bin/env python3
"""Is a site's difference a shift of the pixels or of the scene mix? A label-free test (validation only).

Under a change of the class mix alone (label shift), a site's pixels of class k look like the
source's, so the site's mean dense feature is a convex mixture of the source's class-conditional
means: m_site = sum_k w_k mu_k, w on the simplex. A camera shift moves the class-conditional
features themselves and takes m_site off that hull. The statistic is the distance from m_site to
the hull of the mu_k (normalised MaskCLIP features, D = 128 for the bundled CLIP; the classes by
the rectifier's own arg-max, so no label is read), found by projected gradient on the simplex.
Session 17's version of the test worked in the decoder's twelve-channel space, which twelve class
means span; in the feature space they do not.

Printed per folder size N: the 95 % quantile of the statistic over random N-image subsets of an
unshifted NULL world (its sampling spread), then each site's first N images: the hull residual,
the distance of m_site from the source mean, and the share-weighted distance of the site's
per-class means from the source's.

  for d in SRC NULL SITE...; do mkdir -p $d/feat $d/dump; for f in $d/JPEGImages/*.png; do n=$(basename $f .png)
    reclip features --weights models/world/mini-clip.safetensors --image $f --size 96 --out $d/feat/$n.safetensors
    reclip segment --image $f --rectifier reclip++ --alpha 1 --dump $d/dump/$n.safetensors; done; done
  python3 scripts/diagnostics/shift_test.py --source SRC --null NULL --sites SITE1,SITE2 [--sizes 5,10,20,50,200]

SRC, NULL and the sites are `reclip world` folders (masks are not read). Needs numpy.
"""
import argparse, glob, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402


def load(d):
    """Unit-length patch features [n, P, D] and the rectifier's arg-max class per patch [n, P]."""
    fs = sorted(glob.glob(f'{d}/feat/*.safetensors'))
    if not fs:
        sys.exit(f'{d}/feat: no feature files')
    dense = [read_safetensors(f)['dense'] for f in fs]
    feats = np.stack([x.reshape(-1, x.shape[-1]) for x in dense])
    feats = feats.astype(np.float64) / np.linalg.norm(feats, axis=2, keepdims=True)
    outs = [read_safetensors(os.path.join(d, 'dump', os.path.basename(f)))['output'] for f in fs]
    classes = np.stack([o.reshape(o.shape[0], -1).T.argmax(1) for o in outs])
    return feats, classes


def project_to_simplex(v):
    """Euclidean projection onto {w >= 0, sum w = 1} (sort-based)."""
    u = np.sort(v)[::-1]
    c = np.cumsum(u) - 1
    rho = np.nonzero(u - c / np.arange(1, len(v) + 1) > 0)[0][-1]
    return np.maximum(v - c[rho] / (rho + 1), 0)


def hull_residual(m, means, iterations=3000):
    """min over the simplex of |sum_k w_k means[k] - m|, by projected gradient (step 1 / L)."""
    a = means.T
    w = np.full(len(means), 1 / len(means))
    lipschitz = np.linalg.norm(a, 2) ** 2
    for _ in range(iterations):
        w = project_to_simplex(w - a.T @ (a @ w - m) / lipschitz)
    return np.linalg.norm(a @ w - m)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--source', required=True)
    ap.add_argument('--null', required=True)
    ap.add_argument('--sites', required=True, help='comma-separated site folders')
    ap.add_argument('--sizes', default='5,10,20,50,200')
    ap.add_argument('--subsets', type=int, default=40, help='random subsets of NULL per size')
    ap.add_argument('--min-patches', type=int, default=50, help='source patches a class needs to enter the hull')
    args = ap.parse_args()

    src_f, src_c = load(args.source)
    K, D = int(src_c.max()) + 1, src_f.shape[2]
    counts = np.array([(src_c == k).sum() for k in range(K)])
    means = np.stack([src_f[src_c == k].mean(0) if counts[k] else np.zeros(D) for k in range(K)])
    kept = counts >= args.min_patches
    src_mean = src_f.reshape(-1, D).mean(0)

    def statistics(f, c):
        m = f.reshape(-1, D).mean(0)
        cond, total = 0.0, 0
        for k in np.nonzero(kept)[0]:
            sel = c == k
            if sel.any():
                cond += sel.sum() * np.sum((f[sel].mean(0) - means[k]) ** 2)
                total += sel.sum()
        return hull_residual(m, means[kept]), np.linalg.norm(m - src_mean), np.sqrt(cond / max(total, 1))

    null_f, null_c = load(args.null)
    sites = {os.path.basename(s.rstrip('/')): load(s) for s in args.sites.split(',')}
    rng = np.random.default_rng(0)
    print('N    null 95 %: hull  mean  class |' + ''.join(f' {s}: hull  mean  class |' for s in sites))
    for n in map(int, args.sizes.split(',')):
        n_null = min(n, len(null_f))
        draws = [rng.choice(len(null_f), n_null, replace=False) for _ in range(args.subsets if n_null < len(null_f) else 1)]
        q = np.quantile(np.array([statistics(null_f[i], null_c[i]) for i in draws]), 0.95, axis=0)
        line = f'{n:<4d}           {q[0]:.3f} {q[1]:.3f} {q[2]:.3f} |'
        for f, c in sites.values():
            h, d, k = statistics(f[:n], c[:n])
            line += f' {h:.3f} {d:.3f} {k:.3f} |'
        print(line, flush=True)


if __name__ == '__main__':
    main()
