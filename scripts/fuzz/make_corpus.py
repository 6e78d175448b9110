#!/usr/bin/env python3
"""Writes the fuzz harnesses' seed corpora, Fuzz/corpus/<harness>/ (run by hand; the output is
committed). Python's standard library only: small valid files and a few broken ones per
harness, made here or copied from Tests/Fixtures, each a few KB at most.

  safetensors  every dtype, empty and scalar tensors, metadata; broken headers and ranges
  pth          Tests/Fixtures/pth/*.pth (torch.save files, good and bad)
  clip         tiny CLIPs in the OpenAI and HuggingFace layouts (F16, F32, BF16); broken ones
  rectifier    small ReCLIP and ReCLIP++ rectifiers that fit Tests/Fixtures/reclip/tiny_clip,
               the fixture ReCLIP++ .pth; broken ones
  vocab        "\\x00" + a merges file cut to 300 merges, "\\x01" + a cut of the text tables
  tokenizer    texts from Tests/Fixtures/tokenizer/corpus.json in the harness's three modes
  png, jpeg    Tests/Fixtures/render images
  mask         the palette and grey masks of Tests/Fixtures, and images they must refuse
"""
import gzip
import json
import os
import random
import shutil
import struct

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "../.."))
OUT = os.path.join(ROOT, "Fuzz/corpus")
FIXTURES = os.path.join(ROOT, "Tests/Fixtures")
rng = random.Random(14)


def put(harness, name, data):
    folder = os.path.join(OUT, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy(harness, *paths):
    for p in paths:
        put(harness, os.path.basename(p), open(os.path.join(FIXTURES, p), "rb").read())


# ---- safetensors ---------------------------------------------------------------------------

FORMATS = {"F64": "d", "F32": "f", "F16": "e", "I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B",
           "BOOL": "?", "U16": "H", "U32": "I", "U64": "Q"}
SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
         "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1}


def encode(dtype, values):
    if dtype == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    if dtype in ("F8_E4M3", "F8_E5M2"):
        return bytes(rng.randrange(256) for _ in values)
    fmt = FORMATS[dtype]
    if fmt in "bBhHiIqQ":
        values = [int(v) for v in values]
    if fmt == "?":
        values = [bool(v) for v in values]
    return struct.pack("<%d%s" % (len(values), fmt), *values)


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, values)] in file order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, values in tensors:
        raw = encode(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def edit(blob, old, new):
    """A safetensors file with `old` replaced by `new` in its header (the length re-stated)."""
    n = struct.unpack("<Q", blob[:8])[0]
    text = blob[8:8 + n]
    assert old in text, old
    text = text.replace(old, new, 1).rstrip(b" ")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blob[8 + n:]


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def rand(shape, scale=0.1):
    return [round(rng.uniform(-scale, scale), 3) for _ in range(numel(shape))]


def raw_file(header_text, data=b""):
    return struct.pack("<Q", len(header_text)) + header_text + data


def make_safetensors():
    h = "safetensors"
    every = [(f"t.{d.lower()}", d, [2], [1, -2] if d[0] in "FI" else [1, 2]) for d in SIZES]
    every += [("empty", "F32", [0, 3], []), ("scalar", "F32", [], [0.5]), ("big.i64", "I64", [2], [1, 1 << 40])]
    put(h, "every-dtype.safetensors", safetensors(every, {"format": "pt", "note": "every dtype"}))
    put(h, "floats.safetensors", safetensors([("w", "F32", [2, 3], rand([2, 3])), ("h", "F16", [4], rand([4])),
                                              ("b", "BF16", [1, 2], rand([1, 2]))]))
    put(h, "empty-header.safetensors", raw_file(b"{}      "))
    put(h, "metadata-only.safetensors", safetensors([], {"a": "b"}))
    good = safetensors([("w", "F32", [2, 2], [1, 2, 3, 4])])
    put(h, "bad-truncated-data.safetensors", good[:-5])
    put(h, "bad-short.safetensors", good[:6])
    put(h, "bad-header-length.safetensors", struct.pack("<Q", 1 << 40) + good[8:])
    put(h, "bad-json.safetensors", raw_file(b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', b"\0" * 4))
    put(h, "bad-not-object.safetensors", raw_file(b"[1, 2, 3]", b""))
    put(h, "bad-overlap.safetensors", raw_file(
        b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
        b"\0" * 12))
    put(h, "bad-size.safetensors", raw_file(b'{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\0" * 8))
    put(h, "bad-dim.safetensors", raw_file(b'{"a":{"dtype":"F32","shape":[-1,2.5],"data_offsets":[0,8]}}', b"\0" * 8))
    put(h, "bad-dtype.safetensors", raw_file(b'{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}', b"\0"))
    put(h, "bad-overflow.safetensors", raw_file(
        b'{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'))
    put(h, "bad-metadata.safetensors", raw_file(b'{"__metadata__":{"n":1}}'))


# ---- CLIP checkpoints ----------------------------------------------------------------------

def clip_openai(dtype="F16", vw=8, tw=8, D=4, patch=4, grid=2, context=6, vocab=10, hidden=16, layers=1,
                metadata=None, drop=(), rename=None):
    t = []

    def add(name, shape):
        if name not in drop:
            t.append(((rename or {}).get(name, name), dtype, shape, rand(shape)))

    def block(stem, c):
        add(stem + "ln_1.weight", [c]); add(stem + "ln_1.bias", [c])
        add(stem + "attn.in_proj_weight", [3 * c, c]); add(stem + "attn.in_proj_bias", [3 * c])
        add(stem + "attn.out_proj.weight", [c, c]); add(stem + "attn.out_proj.bias", [c])
        add(stem + "ln_2.weight", [c]); add(stem + "ln_2.bias", [c])
        add(stem + "mlp.c_fc.weight", [hidden, c]); add(stem + "mlp.c_fc.bias", [hidden])
        add(stem + "mlp.c_proj.weight", [c, hidden]); add(stem + "mlp.c_proj.bias", [c])

    add("visual.conv1.weight", [vw, 3, patch, patch])
    add("visual.class_embedding", [vw])
    add("visual.positional_embedding", [grid * grid + 1, vw])
    add("visual.ln_pre.weight", [vw]); add("visual.ln_pre.bias", [vw])
    for i in range(layers):
        block(f"visual.transformer.resblocks.{i}.", vw)
    add("visual.ln_post.weight", [vw]); add("visual.ln_post.bias", [vw])
    add("visual.proj", [vw, D])
    add("token_embedding.weight", [vocab, tw])
    add("positional_embedding", [context, tw])
    for i in range(layers):
        block(f"transformer.resblocks.{i}.", tw)
    add("ln_final.weight", [tw]); add("ln_final.bias", [tw])
    add("text_projection", [tw, D])
    add("logit_scale", [])
    meta = {"vision_heads": "2", "text_heads": "2"}
    meta.update(metadata or {})
    return safetensors(t, meta)


def clip_hf(dtype="F32", vw=8, tw=8, D=4, patch=4, grid=2, context=6, vocab=10, hidden=16, metadata=None):
    t = []

    def add(name, shape):
        t.append((name, dtype, shape, rand(shape)))

    def block(stem, c):
        for p in ("q_proj", "k_proj", "v_proj", "out_proj"):
            add(f"{stem}self_attn.{p}.weight", [c, c]); add(f"{stem}self_attn.{p}.bias", [c])
        for n in ("layer_norm1", "layer_norm2"):
            add(f"{stem}{n}.weight", [c]); add(f"{stem}{n}.bias", [c])
        add(stem + "mlp.fc1.weight", [hidden, c]); add(stem + "mlp.fc1.bias", [hidden])
        add(stem + "mlp.fc2.weight", [c, hidden]); add(stem + "mlp.fc2.bias", [c])

    add("vision_model.embeddings.patch_embedding.weight", [vw, 3, patch, patch])
    add("vision_model.embeddings.class_embedding", [vw])
    add("vision_model.embeddings.position_embedding.weight", [grid * grid + 1, vw])
    add("vision_model.pre_layrnorm.weight", [vw]); add("vision_model.pre_layrnorm.bias", [vw])
    block("vision_model.encoder.layers.0.", vw)
    add("vision_model.post_layernorm.weight", [vw]); add("vision_model.post_layernorm.bias", [vw])
    add("visual_projection.weight", [D, vw])
    add("text_model.embeddings.token_embedding.weight", [vocab, tw])
    add("text_model.embeddings.position_embedding.weight", [context, tw])
    block("text_model.encoder.layers.0.", tw)
    add("text_model.final_layer_norm.weight", [tw]); add("text_model.final_layer_norm.bias", [tw])
    add("text_projection.weight", [D, tw])
    add("logit_scale", [])
    meta = {"vision_heads": "1", "text_heads": "4"}
    meta.update(metadata or {})
    return safetensors(t, meta)


def make_clip():
    h = "clip"
    put(h, "openai-f16.safetensors", clip_openai())
    put(h, "openai-gelu-avg.safetensors", clip_openai(dtype="BF16", metadata={"activation": "gelu", "pooling": "avg"}))
    put(h, "openai-2-layers.safetensors", clip_openai(dtype="F32", layers=2, vw=4, tw=4, hidden=4, grid=1, patch=2))
    put(h, "huggingface-f32.safetensors", clip_hf())
    put(h, "huggingface-f16.safetensors", clip_hf(dtype="F16", grid=3, patch=2, metadata={"pooling": "cls"}))
    put(h, "bad-heads.safetensors", clip_openai(metadata={"vision_heads": "3"}))
    put(h, "bad-missing.safetensors", clip_openai(drop=("visual.ln_post.bias",)))
    put(h, "bad-resnet.safetensors", clip_openai(rename={"visual.conv1.weight": "visual.layer1.0.conv1.weight"}))
    put(h, "bad-grid.safetensors", edit(clip_openai(), b'"shape":[5,8]', b'"shape":[6,8]'))
    put(h, "bad-hidden.safetensors", edit(clip_openai(layers=2), b"resblocks.1.mlp.c_fc.weight", b"resblocks.7.mlp.c_fc.weight"))
    put(h, "bad-dtype.safetensors", clip_openai(dtype="I32"))


# ---- rectifiers (for tiny_clip: D 16, vision width 64, text width 32, context 77) -------------

CLASSES = ["cat", "potted plant", "chest of drawers"]


def conv_norm(conv, norm, out, inp, k, dtype="F16"):
    t = [(conv + ".weight", dtype, [out, inp, k, k], rand([out, inp, k, k])), (conv + ".bias", dtype, [out], rand([out]))]
    t += [(norm + ".weight", dtype, [out], [1.0] * out), (norm + ".bias", dtype, [out], rand([out])),
          (norm + ".running_mean", dtype, [out], rand([out])), (norm + ".running_var", dtype, [out], [1.0] * out),
          (norm + ".num_batches_tracked", "F32", [], [7])]
    return t


def reclip(channels=(64, 2, 2, 3), kernels=(1, 3, 1), prompt=2, width=32, meta=None, classes=CLASSES):
    t = [("text_encoder.prompt_token", "F16", [1, prompt, width], rand([1, prompt, width]))]
    for i in range(3):
        t += conv_norm(f"proj_net.{3 * i}", f"proj_net.{3 * i + 1}", channels[i + 1], channels[i], kernels[i])
    m = {"variant": "reclip", "classes": json.dumps(classes)}
    m.update(meta or {})
    return safetensors(t, m)


def reclippp(D=16, cv=64, K=3, kernel=1, prompt=2, meta=None, classes=CLASSES):
    t = [("text_encoder.prompt_token", "F16", [1, prompt, 32], rand([1, prompt, 32])),
         ("pe_proj.weight", "F16", [D, cv, 1, 1], rand([D, cv, 1, 1])), ("pe_proj.bias", "F16", [D], rand([D]))]
    t += conv_norm("decoder_conv2", "decoder_norm2", K, D + K, kernel)
    m = {"variant": "reclip++", "classes": json.dumps(classes)}
    m.update(meta or {})
    return safetensors(t, m)


def reclip_with_prefix():
    blob = reclip()
    for i in (0, 1, 3, 4, 6, 7):
        for _ in range(5 if i % 3 else 2):
            blob = edit(blob, b'"proj_net.%d.' % i, b'"module.proj_net.%d.' % i)
    return blob


def make_rectifier():
    h = "rectifier"
    put(h, "reclip.safetensors", reclip())
    put(h, "reclip-module-prefix.safetensors", reclip_with_prefix())
    put(h, "reclippp.safetensors", reclippp())
    put(h, "reclippp-kernel3.safetensors", reclippp(kernel=3, meta={"weights_hash": "0" * 64}))
    copy(h, "reclip/reclippp.pth")
    put(h, "bad-classes.safetensors", reclip(classes=["cat", "dog"]))
    put(h, "bad-variant.safetensors", reclippp(meta={"variant": "reclip"}))
    put(h, "bad-prompt-long.safetensors", reclip(prompt=74))
    put(h, "bad-vision-width.safetensors", reclip(channels=(32, 2, 2, 3)))
    put(h, "bad-chain.safetensors", edit(reclip(), b'"proj_net.3.weight":{"dtype":"F16","shape":[2,2,3,3]',
                                                 b'"proj_net.3.weight":{"dtype":"F16","shape":[2,1,6,3]'))
    put(h, "bad-embed-dim.safetensors", reclippp(D=8))
    put(h, "bad-no-classes.safetensors", reclippp(meta={"classes": "cat"}))


# ---- tokenizer tables and texts ------------------------------------------------------------

def make_vocab():
    h = "vocab"
    lines = gzip.open(os.path.join(ROOT, "Sources/CLIP/Resources/bpe_simple_vocab_16e6.txt.gz")).read().decode().split("\n")
    put(h, "merges-300.txt", b"\0" + "\n".join(lines[:301]).encode() + b"\n")
    put(h, "merges-20.txt", b"\0" + "\n".join(lines[:21] + lines[5000:5010]).encode())
    put(h, "merges-bad-line.txt", b"\0" + "\n".join(lines[:10] + ["a b c"] + lines[10:20]).encode())
    put(h, "merges-unknown-symbols.txt", b"\0" + "\n".join(lines[:1] + ["zz qq", "\u00ff \u0100", "a</w> b"]).encode())
    tables = open(os.path.join(ROOT, "Sources/CLIP/Resources/text_cleaning_tables.txt"), encoding="utf-8").read().split("\n")
    sample = []
    for kind, n in (("html5", 6), ("ftfyhtml", 3), ("width", 4), ("ligature", 3), ("charref", 4), ("invalidcp", 1)):
        sample += [l for l in tables if l.startswith(kind + "\t")][:n]
    put(h, "tables-sample.txt", b"\1" + "\n".join(sample).encode())
    put(h, "tables-bad-code-point.txt", b"\1" + "\n".join(sample[:3] + ["width\tFF01\tZZ"]).encode())
    put(h, "tables-bad-kind.txt", b"\1" + "\n".join(sample[:2] + ["emoji\t1F600\t20"]).encode())
    put(h, "tables-bad-fields.txt", b"\1" + b"html5\tamp;")


def make_tokenizer():
    h = "tokenizer"
    corpus = json.load(open(os.path.join(FIXTURES, "tokenizer/corpus.json")))
    texts = [c["text"] for c in corpus]
    picked = [t for t in texts if not t.isascii()][:8] + [t for t in texts if "&" in t][:3]
    picked += sorted(texts, key=len)[-2:] + texts[:3]
    seen = set()
    for i, t in enumerate(picked):
        if t in seen:
            continue
        seen.add(t)
        put(h, f"text-{i:02d}.txt", b"\0" + t.encode())
    put(h, "validated.txt", b"\1" + "a photo of a caf\u00e9 &amp; a \ufb01sh".encode())
    put(h, "invalid-utf8.txt", b"\0" + b"caf\xc3 \xff\xfe photo \xed\xa0\x80 of")
    put(h, "invalid-validated.txt", b"\1" + b"a \xc0\xaf cat")
    put(h, "tags.txt", b"\0" + b"<|startoftext|>a<|endoftext|> I'll've it's 123 ... !!")
    scalars = [0x41, 0x301, 0xFB01, 0xFF21, 0x2019, 0x1F600, 0x9, 0x85, 0x1B, 0x5B, 0x31, 0x6D, 0x130, 0xDF, 0x10FFFF]
    put(h, "scalars.txt", b"\2" + b"".join(struct.pack(">I", s)[1:] for s in scalars))


def make_images():
    render = [f for f in sorted(os.listdir(os.path.join(FIXTURES, "render")))]
    copy("png", *[f"render/{f}" for f in render if f.endswith(".png")])
    copy("jpeg", *[f"render/{f}" for f in render if f.endswith(".jpg")])
    copy("mask", "render/voc_mask.png", "render/palette4.png", "render/palette8.png", "render/grey8.png",
         "render/grey1.png", "render/grey16.png", "render/rgb8.png", "render/interlaced.png", "render/corrupt.png",
         "render/truncated.png", "reclip/eval_voc/SegmentationClass/v1.png", "tui/voc/SegmentationClass/scene-1.png")


if __name__ == "__main__":
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    make_safetensors()
    copy("pth", *[f"pth/{f}" for f in sorted(os.listdir(os.path.join(FIXTURES, "pth"))) if f.endswith(".pth")])
    make_clip()
    make_rectifier()
    make_vocab()
    make_tokenizer()
    make_images()
    for harness in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, harness))
        size = sum(os.path.getsize(os.path.join(OUT, harness, f)) for f in files)
        print(f"{harness:12} {len(files):3} files {size:8} bytes")
