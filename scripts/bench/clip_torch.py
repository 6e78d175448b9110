#!/usr/bin/env python3
"""PyTorch anchor for `reclip bench engine` (run by hand, on the same machine).

Builds openai/CLIP's ViT-B/16 architecture with random fp32 weights (no download), then
times MaskCLIP dense features at 224 and 448 px (value path in the last block, positional
embedding resized bicubically at 448), the global embedding at 224 px, and the text tower on
20 prompts x 77 tokens, on 2 threads (--threads); prints seconds per call (median of N after one warm-up)
and the peak resident memory.

    python3 scripts/bench/clip_torch.py [--repetitions 5] [--threads 2] [--bf16] [--dense-only]

--bf16 runs every timed call under torch.autocast("cpu", dtype=torch.bfloat16) (PyTorch's own
bf16 path: matmuls and linears in bfloat16 with float32 accumulation, oneDNN), the anchor of
`reclip bench engine --precision bf16`; --dense-only stops after the dense features.

On a busy machine compare on one pinned core instead, where neither side's threads wait
for each other:

    taskset -c 1 .build/release/reclip bench
    taskset -c 1 python3 scripts/bench/clip_torch.py --threads 1
"""
import argparse
import contextlib
import math
import resource
import time

import torch
import torch.nn.functional as F

import clip
from clip.model import CLIP

VOC = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
       "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
       "train", "tvmonitor"]


@torch.no_grad()
def dense(model, img):
    vis = model.visual
    c = vis.conv1.out_channels
    p = vis.conv1.kernel_size[0]
    _, _, h, w = img.shape
    gh, gw = -(-h // p), -(-w // p)
    x = F.pad(img, (0, gw * p - w, 0, gh * p - h))
    x = vis.conv1(x).reshape(1, c, -1).permute(0, 2, 1)
    pos = vis.positional_embedding
    g0 = int(round(math.sqrt(pos.shape[0] - 1)))
    patch_pos = pos[1:]
    if (gh, gw) != (g0, g0):
        grid = patch_pos.reshape(1, g0, g0, c).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(grid, size=(gh, gw), mode="bicubic", align_corners=False)
        patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(-1, c)
    x = torch.cat([vis.class_embedding.reshape(1, 1, c), x], 1) + torch.cat([pos[:1], patch_pos])[None]
    x = vis.ln_pre(x).permute(1, 0, 2)
    for blk in vis.transformer.resblocks[:-1]:
        x = blk(x)
    blk = vis.transformer.resblocks[-1]
    v = F.linear(blk.ln_1(x), blk.attn.in_proj_weight[2 * c:], blk.attn.in_proj_bias[2 * c:])
    v = blk.attn.out_proj(v) + x
    v = v + blk.mlp(blk.ln_2(v))
    return vis.ln_post(v.permute(1, 0, 2))[0, 1:] @ vis.proj


def timed(name, fn, reps, bf16=False):
    def call():
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with ctx:
            fn()
    call()
    ts, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        call()
        ts.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ts.sort()
    cpu.sort()
    print(f"{name:28s} {ts[len(ts) // 2]:.3f} s/call (best {ts[0]:.3f}, CPU {cpu[len(cpu) // 2]:.3f} s)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="time under torch.autocast('cpu', dtype=torch.bfloat16)")
    ap.add_argument("--dense-only", action="store_true", help="time the dense features only")
    ap.add_argument("--save", metavar="PATH", help="write the random ViT-B/16 weights (OpenAI layout, float32 safetensors) to PATH and exit")
    args = ap.parse_args()
    if args.repetitions < 1 or args.threads < 1:
        ap.error("--repetitions and --threads must be positive")
    print(f"precision: {'bf16 (autocast)' if args.bf16 else 'fp32'}, torch {torch.__version__}, {args.threads} threads")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = CLIP(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768,
                 vision_patch_size=16, context_length=77, vocab_size=49408,
                 transformer_width=512, transformer_heads=8, transformer_layers=12).float().eval()
    if args.save:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.save)
        return
    for s in (224, 448):
        img = torch.randn(1, 3, s, s)
        timed(f"dense features {s} px", lambda: dense(model, img), args.repetitions, args.bf16)
    img = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        if not args.dense_only:
            timed("global embedding 224 px", lambda: model.encode_image(img), args.repetitions, args.bf16)
            tokens = clip.tokenize([f"a photo of a {c}." for c in VOC])
            timed("text tower, 20 prompts", lambda: model.encode_text(tokens), args.repetitions, args.bf16)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{'peak resident memory':28s} {peak / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
