#!/usr/bin/env python3
"""Seconds per unsupervised training step in PyTorch (CPU), the same step `reclip bench
train` times: 20 classes, ViT-B/16 text tower sizes with random weights (width 512, 12 layers,
8 heads, 77 positions, D 512), Cv 768, a 21x21 grid, batch 1, the authors' ReCLIP / ReCLIP++ loss.
Prints the median wall time and process CPU time over 3 steps.

    python3 scripts/bench/train_torch.py [--variant reclip|reclip++] [--threads 2]
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from clip.model import Transformer, LayerNorm

ap = argparse.ArgumentParser()
ap.add_argument("--variant", default="reclip")
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

K, W, D, CV, G = 20, 512, 512, 768, 21
P = G * G
mask = torch.empty(77, 77).fill_(float("-inf")).triu_(1)
transformer = Transformer(W, 12, 8, mask)
token_embedding = nn.Embedding(49408, W)
positional_embedding = torch.randn(77, W) * 0.01
ln_final = LayerNorm(W)
text_projection = torch.randn(W, D) * W ** -0.5
for m in (transformer, token_embedding, ln_final):
    for p in m.parameters():
        p.requires_grad = False

prompt = nn.Parameter(token_embedding(torch.zeros(1, 73, dtype=torch.long)).clone())
name_tokens = torch.tensor([[400 + k, 49407, 0] for k in range(K)])
T = F.normalize(torch.randn(K, D), dim=1)
feat = F.normalize(torch.randn(1, D, G, G), dim=1)
pos = torch.randn(1, CV, G, G) * 0.05

if args.variant == "reclip":
    net = nn.Sequential(nn.Conv2d(CV, 512, 3, padding=1), nn.BatchNorm2d(512), nn.ReLU(),
                        nn.Conv2d(512, 256, 3, padding=1), nn.BatchNorm2d(256), nn.ReLU(),
                        nn.Conv2d(256, K, 3, padding=1), nn.BatchNorm2d(K), nn.ReLU())
    scale = 1000.0
else:
    net = nn.ModuleDict(dict(pe=nn.Conv2d(CV, D, 1), dec=nn.Conv2d(D + K, K, 5, padding=2), bn=nn.BatchNorm2d(K)))
    scale = 100.0
opt = torch.optim.SGD([prompt] + list(net.parameters()), lr=0.01, momentum=0.9, weight_decay=5e-4)


def reference():
    x = torch.cat([token_embedding(torch.tensor(49406)).repeat(K, 1, 1), prompt.repeat(K, 1, 1),
                   token_embedding(name_tokens)], 1) + positional_embedding
    x = transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
    x = ln_final(x)[torch.arange(K), 74 + name_tokens.argmax(-1)] @ text_projection
    return x / x.norm()


def step():
    r = reference()
    raw = torch.einsum("bdhw,kd->bkhw", feat, T)
    if args.variant == "reclip":
        out = raw - (torch.einsum("bdhw,kd->bkhw", feat, r) + net(pos))
    else:
        e = net["pe"](pos)
        out = net["bn"](net["dec"](torch.cat([feat, raw - torch.einsum("bdhw,kd->bkhw", e, r)], 1)))
    g = F.gumbel_softmax(out.reshape(1, K, -1).permute(0, 2, 1) * scale, tau=1, hard=True, dim=2).reshape(1, G, G, K)
    pooled = torch.stack([(feat[0] * g[0, :, :, i]).mean(dim=(1, 2)) for i in (0, 1)])
    loss = F.cross_entropy(100 * pooled @ T.t(), torch.tensor([0, 1]))
    opt.zero_grad()
    loss.backward()
    opt.step()


walls, cpus = [], []
for _ in range(4):
    w0, c0 = time.perf_counter(), time.process_time()
    step()
    walls.append(time.perf_counter() - w0)
    cpus.append(time.process_time() - c0)
walls, cpus = walls[1:], cpus[1:]   # first step warms up
print(f"pytorch {torch.__version__} training step ({args.variant}, {K} classes, ViT-B/16 sizes, {G}x{G} grid, "
      f"batch 1, {args.threads} threads): {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU")
