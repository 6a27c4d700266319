#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/*), numpy only.

  /usr/bin/python3 tests/fuzz/make-seeds.py

safetensors/: small hand-made files covering every dtype, empty and scalar shapes,
metadata, padding; model/: the smallest FNR2R model (width 1 everywhere, F16, made by
tools/random-model.py, 51 KB).  The PNG target uses tests/data/pngsuite/ as its seeds.
Outputs are deterministic."""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def st_bytes(entries, meta=None, pad=8):
    """entries: list of (name, dtype, shape, raw bytes); laid out in order."""
    header, data = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((-len(js)) % pad)
    return struct.pack("<Q", len(js)) + js + data


def main():
    out = os.path.join(HERE, "corpus", "safetensors")
    os.makedirs(out, exist_ok=True)
    f32 = struct.pack("<6f", 1.0, -2.5, 0.0, 3.25, 1e-8, -0.0)
    seeds = {
        "empty.safetensors": st_bytes([]),
        "meta-only.safetensors": st_bytes([], {"architecture": "fnr2r", "bn_eps": "1e-05"}),
        "f32.safetensors": st_bytes([("w", "F32", [2, 3], f32)], {"k": "v"}),
        "f16-bf16.safetensors": st_bytes([("h", "F16", [4], struct.pack("<4H", 0x3c00, 0x8001, 0x7c00, 0x7e01)),
                                          ("b", "BF16", [2, 1], struct.pack("<2H", 0x3f80, 0xff80))]),
        "ints.safetensors": st_bytes([("i", "I32", [2], struct.pack("<2i", -1, 7)),
                                      ("u", "U8", [3], b"\x00\x7f\xff"),
                                      ("d", "F64", [1], struct.pack("<d", 2.0))]),
        "scalar-empty.safetensors": st_bytes([("s", "F32", [], struct.pack("<f", 4.0)),
                                              ("z", "F16", [0, 5], b"")]),
        "4d.safetensors": st_bytes([("conv.weight", "F32", [2, 1, 1, 1], struct.pack("<2f", 0.5, -0.5)),
                                    ("conv.bias", "F32", [2], struct.pack("<2f", 0.1, 0.2))],
                                   {"architecture": "fnr2r"}),
        "unpadded.safetensors": st_bytes([("x", "F32", [1], f32[:4])], pad=1),
    }
    for name, raw in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(raw)

    out = os.path.join(HERE, "corpus", "model")
    os.makedirs(out, exist_ok=True)
    subprocess.check_call([sys.executable, os.path.join(ROOT, "tools", "random-model.py"),
                           "-o", os.path.join(out, "micro-f16.safetensors"), "--force",
                           "--coarse-d", "1", "--vgg-widths", "1,1,1,1,1", "--guide-width", "1",
                           "--style-dim", "1", "--dtype", "f16", "--seed", "3"])

    # regression: a coarse.deconv8 with a 6x6 kernel made the exemplar 258x258, and sessions
    # copied it into the caller's 256x256 buffer (heap overflow); now refused at load
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import numpy as np
    import safetensors_io
    src = safetensors_io.read(os.path.join(out, "micro-f16.safetensors"))
    tensors = []
    for name in src.names:
        a = src.get(name)
        if name == "coarse.deconv8.weight":
            a = np.resize(a, (a.shape[0], a.shape[1], 6, 6))
        tensors.append((name, a))
    reg = os.path.join(HERE, "regressions", "model")
    os.makedirs(reg, exist_ok=True)
    path = os.path.join(reg, "deconv8-kernel6.safetensors")
    safetensors_io.write(path, tensors, metadata=src.metadata, dtype="F16", overwrite=True,
                         sha_key=None)


if __name__ == "__main__":
    main()
