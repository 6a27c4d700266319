#!/usr/bin/env python3
"""Times the same FNR2R safetensors model in fnrt (`fnrt bench`) and in PyTorch on the CPU
(float32, BatchNorm folded into the convolutions as fnrt does, torch.no_grad), with the same
number of threads and the same input, and prints seconds per image and the ratio.
ONNX Runtime is timed too when it is installed (the PyTorch graph exported to ONNX).

  tools/bench-compare.py -m /tmp/full.safetensors [--fnrt build/fnrt] [--threads 2]
                         [--iters 5] [--input face.png]

PyTorch's forward pass is tools/reference.py's (the independent reference the goldens come
from), run in float32.  Both sides get the input resized to 256x256; fnrt's figure is the
p50 single-image latency of `fnrt bench` (one process: model load and kernel builds are
excluded on both sides, only steady-state inference is compared).  No assertions: this is
a measuring tool.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def fold_bn(params, eps):
    """Folds every BatchNorm into the convolution before it (same rule as fnrt's loader:
    '<conv>_bn' follows '<conv>', a numbered 'prefix.N' BN follows conv 'prefix.N-1');
    returns the folded parameter dict and the set of BN prefixes that became identities."""
    import torch
    p = dict(params)
    folded = set()
    for name in [n for n in params if n.endswith(".running_var")]:
        bn = name[: -len(".running_var")]
        if bn.endswith("_bn"):
            conv = bn[: -len("_bn")]
        else:
            head, _, idx = bn.rpartition(".")
            if not idx.isdigit():
                continue
            conv = "%s.%d" % (head, int(idx) - 1)
        if conv + ".weight" not in p:
            continue
        scale = p[bn + ".weight"] / torch.sqrt(p[bn + ".running_var"] + eps)
        w = p[conv + ".weight"]
        transposed = "deconv" in conv
        shape = (1, -1, 1, 1) if transposed else (-1, 1, 1, 1)
        p[conv + ".weight"] = w * scale.view(*shape)
        b = p.get(conv + ".bias")
        if b is None:
            b = torch.zeros_like(scale)
        p[conv + ".bias"] = (b - p[bn + ".running_mean"]) * scale + p[bn + ".bias"]
        folded.add(bn)
    return p, folded


def torch_model(path):
    import torch
    import reference

    w, eps, params = reference.load_model(path)
    params, folded = fold_bn(params, eps)
    params = {k: v.to(torch.float32).contiguous() for k, v in params.items()}

    class Folded(reference.Net):
        def bn(self, name, x):
            if name in folded:
                return x
            return super().bn(name, x)

    return Folded(w, eps, params)


def time_torch(path, rgb, threads, iters):
    import torch
    torch.set_num_threads(threads)
    net = torch_model(path)
    x = torch.from_numpy(rgb.astype(np.float32))[None]
    with torch.no_grad():
        net.forward(x)  # warm-up
        t = []
        for _ in range(iters):
            t0 = time.perf_counter()
            normals, _ = net.forward(x)
            t.append(time.perf_counter() - t0)
    return t, normals[0].numpy()


def time_onnxruntime(path, rgb, threads, iters, tmpdir):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    import torch
    net = torch_model(path)

    class Wrap(torch.nn.Module):
        def forward(self, x):
            return net.forward(x)[0]

    onnx_path = os.path.join(tmpdir, "fnr2r.onnx")
    x = torch.from_numpy(rgb.astype(np.float32))[None]
    torch.onnx.export(Wrap(), x, onnx_path, opset_version=13)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x.numpy()}
    sess.run(None, feed)
    t = []
    for _ in range(iters):
        t0 = time.perf_counter()
        sess.run(None, feed)
        t.append(time.perf_counter() - t0)
    return t


def time_fnrt(fnrt, path, inp, iters):
    cmd = [fnrt, "bench", "-m", path, "-n", str(iters), "--no-layers", "--no-peak"]
    if inp:
        cmd += ["--input", inp]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    p50, mn = parse_latency(out)
    dev = re.search(r"^device:\s+(.*)$", out, re.M)
    return p50, mn, dev.group(1) if dev else "?"


def parse_latency(out):
    """p50 and min seconds from the latency line of `fnrt bench` (each figure found by its own
    label, so added figures such as p95/max do not break it)."""
    line = re.search(r"^latency:.*$", out, re.M)
    p50 = line and re.search(r"\bp50 ([\d.]+) s\b", line.group(0))
    mn = line and re.search(r"\bmin ([\d.]+) s\b", line.group(0))
    if not (p50 and mn):
        raise SystemExit("bench-compare: cannot parse fnrt bench output:\n" + out)
    return float(p50.group(1)), float(mn.group(1))


def load_input(path):
    if not path:
        # the deterministic synthetic image of `fnrt bench`
        h = w = 256
        v, u = np.mgrid[0:h, 0:w] / np.array([h, w]).reshape(2, 1, 1)
        r = np.sqrt((u - 0.5) ** 2 + (v - 0.45) ** 2)
        face = np.where(r < 0.35, 1.0 - r, 0.2)
        return np.stack([0.6 * face + 0.1 * np.sin(17.0 * u), 0.45 * face + 0.1 * np.cos(11.0 * v),
                         0.35 * face + 0.05 * np.sin(23.0 * u * v)])
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB").resize((256, 256), Image.BILINEAR)
        return np.asarray(im, dtype=np.float64).transpose(2, 0, 1) / 255.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--fnrt", default=os.path.join(HERE, "..", "build", "fnrt"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--input")
    ap.add_argument("--gflop", type=float, default=None,
                    help="GFLOP/image for the GFLOP/s column (default: from fnrt info)")
    a = ap.parse_args()

    gflop = a.gflop
    if gflop is None:
        info = subprocess.run([a.fnrt, "info", a.model], check=True, capture_output=True,
                              text=True).stdout
        gflop = float(re.search(r"GFLOP/image:\s+([\d.]+)", info).group(1))
    rgb = load_input(a.input)

    import torch
    f_p50, f_min, dev = time_fnrt(a.fnrt, a.model, a.input, a.iters)
    t_torch, _ = time_torch(a.model, rgb, a.threads, a.iters)
    p_p50, p_min = statistics.median(t_torch), min(t_torch)
    rows = [("fnrt (OpenCL)", f_p50, f_min), ("PyTorch %s" % torch.__version__, p_p50, p_min)]
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        t_ort = time_onnxruntime(a.model, rgb, a.threads, a.iters, tmp)
    if t_ort:
        rows.append(("ONNX Runtime", statistics.median(t_ort), min(t_ort)))

    print("model %s, %.3f GFLOP/image, %d threads (PyTorch/ORT), %d runs each" %
          (a.model, gflop, a.threads, a.iters))
    print("fnrt device: %s" % dev)
    print("%-22s %10s %10s %12s %14s" % ("", "p50 s", "min s", "GFLOP/s p50", "vs fnrt (p50)"))
    for name, p50, mn in rows:
        print("%-22s %10.3f %10.3f %12.1f %13.2fx" % (name, p50, mn, gflop / p50, p50 / f_p50))
    if not t_ort:
        print("(ONNX Runtime not installed: skipped)")


if __name__ == "__main__":
    main()
