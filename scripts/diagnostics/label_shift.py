#!/usr/bin/env python3
"""Would correcting a rectifier for the site's class mix help? A label-shift check (validation only).

Saerens et al. (2002): under a change of class prior alone, p_site(k|x) is proportional to
p(k|x) pi_site(k) / pi_src(k). With p = softmax(T * output) of the rectifier's outputs (the
`output` maps of `reclip segment --dump`, [K, h, w] per image), pi_src the mean posterior over
source images, and pi_site estimated by EM on the site images, the outputs are shifted by
beta * log(pi_site / pi_src) / T and scored on the validation scenes; the oracle row uses the true
pixel shares of the validation scenes and of the source scenes instead (an upper bound of any
class-prior correction). mIoU as `reclip eval` (confusion over all pixels, bilinear upsampling).

  for d in SRC SITE VAL; do mkdir -p $d/dump; for f in $d/JPEGImages/*.png; do
    reclip segment --image $f --rectifier reclip++ --alpha 1 --dump $d/dump/$(basename $f .png).safetensors; done; done
  python3 scripts/diagnostics/label_shift.py --source SRC --site SITE --val VAL [--temperatures 3,10,30]

SRC, SITE and VAL are `reclip world` datasets (SITE's masks are not read). Needs numpy and Pillow.
"""
import argparse, glob, os, sys
import numpy as np
from PIL import Image
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402


def dumps(d):
    fs = sorted(glob.glob(f'{d}/dump/*.safetensors'))
    return np.stack([read_safetensors(f)['output'] for f in fs]), [os.path.basename(f)[:-len('.safetensors')] for f in fs]


def labels(d, names):
    return np.stack([np.array(Image.open(f'{d}/SegmentationClass/{n}.png')) for n in names])


def bilinear(n, m):
    """PyTorch's bilinear weights (align_corners=False) from n to m samples, [m, n]."""
    a = np.zeros((m, n))
    for i in range(m):
        x = max((i + 0.5) * n / m - 0.5, 0)
        x0 = min(int(x), n - 1); x1 = min(x0 + 1, n - 1); f = x - x0
        a[i, x0] += 1 - f; a[i, x1] += f
    return a


def miou(logits, y, K):
    """bias_ceiling.miou's sums in numpy (that one needs torch): confusion over the split, classes with a union."""
    up = np.einsum('Hh,nkhw,Ww->nkHW', bilinear(logits.shape[2], y.shape[1]), logits, bilinear(logits.shape[3], y.shape[2]))
    pred, ok = up.argmax(1), y != 255
    cm = np.bincount(y[ok].astype(int) * K + pred[ok], minlength=K * K).reshape(K, K)
    inter = np.diag(cm); union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return 100 * np.nanmean(np.where(union > 0, inter / union, np.nan))


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True)); return e / e.sum(1, keepdims=True)


def em_prior(site, T, src, iters=100):
    p, pi = softmax(T * site), src.copy()
    for _ in range(iters):
        q = p * (pi / src)[None, :, None, None]
        pi = (q / q.sum(1, keepdims=True)).mean((0, 2, 3))
    return pi


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--source', required=True); a.add_argument('--site', required=True); a.add_argument('--val', required=True)
    a.add_argument('--temperatures', default='3,10,30')
    args = a.parse_args()
    src, src_names = dumps(args.source)
    site, _ = dumps(args.site)
    val, names = dumps(args.val)
    K = val.shape[1]
    y = labels(args.val, names)
    shares = lambda t: (lambda c: c / c.sum())(np.bincount(t[t != 255].ravel(), minlength=K).astype(float))
    true_src, true_val = shares(labels(args.source, src_names)), shares(y)
    print(f'as is: {miou(val, y, K):.1f}')
    for T in [float(t) for t in args.temperatures.split(',')]:
        ps = softmax(T * src).mean((0, 2, 3))
        pi = em_prior(site, T, ps)
        row = [f'T {T:g}']
        for beta in (0.5, 1.0):
            off = beta * np.log(np.maximum(pi, 1e-6) / ps) / T
            row.append(f'EM beta {beta:g}: {miou(val + off[None, :, None, None], y, K):.1f}')
        off = np.log(np.maximum(true_val, 1e-4) / np.maximum(true_src, 1e-4)) / T
        row.append(f'oracle: {miou(val + off[None, :, None, None], y, K):.1f}')
        print('  '.join(row))


if __name__ == '__main__':
    main()
