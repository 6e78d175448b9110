"""Reading a safetensors file into numpy arrays (F32 and F16), for the diagnostics here."""
import json, struct
import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        dtype = {"F32": np.float32, "F16": np.float16}[e["dtype"]]
        out[name] = np.frombuffer(body[a:b], dtype=dtype).astype(np.float32).reshape(e["shape"])
    return out
