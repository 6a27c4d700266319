#!/usr/bin/env python3
"""Regenerates the committed cross-modal golden data in tests/data (deterministic).

  python3 tools/make-golden-crossmodal.py [--out-dir tests/data] [--keep-tmp DIR] [--verbose]

Steps:
 (a) Random weights at the reduced widths crossmodal_layout.TINY (every published width / 8:
     ResNet 8,16,32,64, layer4_1x1 96, conv_up 80,40,40,24, full-res 8, head 8), seed SEED,
     drawn by crossmodal_random.py and saved IN THE PUBLISHED FORMAT with torch.save as a
     plain state_dict (model.pth): base_model.* duplicates of the image encoder (equal to
     their layerN views) with the ResNet classifier, the image-reconstruction decoder,
     num_batches_tracked everywhere.
 (b) tools/fnrt-convert.py --crossmodal converts it (F32) -> crossmodal-tiny.safetensors
     (about 1.9 MB: 0.49 M parameters).
 (c) A synthetic 256x256 8-bit normal map (a face-like height field: ellipsoid head, brow
     ridge, nose, cheeks, lips, chin on a flat background facing the camera), stored as
     v = round((n+1)/2 * 255) -> normals-256.png, the input of the normal-ae mode.
 (d) tools/reference_crossmodal.py (float64) on tests/data/face-256.png (made by
     make-golden.py) in image mode -> crossmodal-tiny-image.npy, and on normals-256.png in
     normal-ae mode -> crossmodal-tiny-normal-ae.npy, float32 (256,256,3) unit vectors.
 (e) Prints the minimum pre-normalisation vector norm of both outputs, how often each skip
     merge takes the skip (the max picks the skip for a healthy share of the elements, so
     the merges are exercised) and how far apart the two modes' outputs are; fails if a
     minimum norm is <= 1e-2 or an output channel is nearly constant.
Re-running gives byte-identical files (same numpy/torch/PIL versions).
"""

import os
import sys
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crossmodal_layout as layout  # noqa: E402
import crossmodal_random  # noqa: E402
import golden_common as gc  # noqa: E402

PROG = "make-golden-crossmodal"
SEED = 20250214
WIDTHS = layout.TINY

MODEL_NAME = "crossmodal-tiny.safetensors"
FACE_NAME = "face-256.png"
NORMAL_MAP_NAME = "normals-256.png"
IMAGE_GOLDEN = "crossmodal-tiny-image.npy"
AE_GOLDEN = "crossmodal-tiny-normal-ae.npy"


def published_state_dict(widths, seed):
    import torch
    sd = OrderedDict()
    for name, arr in crossmodal_random.random_tensors(widths, seed, published=True):
        sd[name] = torch.from_numpy(np.array(arr, copy=True))
    return sd


def normal_map(size=256):
    """Face-like unit normals (size, size, 3), x right, y up, z toward the viewer."""
    px = 2.0 / size
    c = (np.arange(size) + 0.5) * px - 1.0
    yd, x = np.meshgrid(c, c, indexing="ij")  # yd: down
    y = -yd                                   # y up
    g = lambda cx, cy, sx, sy: np.exp(-(((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))  # noqa: E731
    r2 = (x / 0.52) ** 2 + ((y + 0.02) / 0.68) ** 2
    head = 0.55 * np.sqrt(np.clip(1.0 - r2, 0.0, None))
    h = head
    h = h + 0.10 * g(0.0, -0.02, 0.045, 0.16)                 # nose
    h = h + 0.05 * (g(-0.19, 0.16, 0.14, 0.035) + g(0.19, 0.16, 0.14, 0.035))  # brows
    h = h - 0.04 * (g(-0.19, 0.06, 0.08, 0.04) + g(0.19, 0.06, 0.08, 0.04))    # eye sockets
    h = h + 0.03 * (g(-0.24, -0.14, 0.10, 0.08) + g(0.24, -0.14, 0.10, 0.08))  # cheeks
    h = h + 0.025 * g(0.0, -0.33, 0.12, 0.03)                 # lips
    h = h + 0.03 * g(0.0, -0.52, 0.10, 0.06)                  # chin
    mask = np.clip((1.0 - r2) * 8.0, 0.0, 1.0)
    h = h * mask
    dhdx = np.gradient(h, px, axis=1)
    dhdy = -np.gradient(h, px, axis=0)                        # rows go down, y goes up
    n = np.stack([-dhdx, -dhdy, np.ones_like(h)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return n


def main(argv=None):
    ap = gc.arg_parser("Regenerate the cross-modal golden test data.",
                       "use DIR for the checkpoint and dumps and keep it")
    args = ap.parse_args(argv)

    import torch
    from PIL import Image
    torch.set_num_threads(2)

    face = os.path.join(args.out_dir, FACE_NAME)
    if not os.path.isfile(face):
        raise SystemExit("make-golden-crossmodal: %s is missing (tools/make-golden.py makes it)"
                         % face)
    os.makedirs(args.out_dir, exist_ok=True)
    with gc.work_dir(args.keep_tmp, "fnrt-golden-xm-") as tmp:
        # (a)
        pth = os.path.join(tmp, "model.pth")
        torch.save(published_state_dict(WIDTHS, SEED), pth)
        print("make-golden-crossmodal: published-format checkpoint (%s, seed %d) in %s"
              % (WIDTHS.describe(), SEED, tmp))
        # (b)
        model = os.path.join(args.out_dir, MODEL_NAME)
        sys.stdout.write(gc.run_tool(PROG, "fnrt-convert.py", "--crossmodal", pth, "-o", model,
                                     "--force"))
        # (c)
        nmap = os.path.join(args.out_dir, NORMAL_MAP_NAME)
        v = np.clip(np.rint((normal_map() + 1.0) * 0.5 * 255.0), 0, 255).astype(np.uint8)
        Image.fromarray(v, "RGB").save(nmap, format="PNG")
        # (d)
        ok = True
        outs = {}
        for mode, inp, name in (("image", face, IMAGE_GOLDEN), ("normal-ae", nmap, AE_GOLDEN)):
            out = os.path.join(args.out_dir, name)
            dump = os.path.join(tmp, "dump-" + mode)
            gc.run_tool(PROG, "reference_crossmodal.py", "-m", model, "--mode", mode,
                        "--input", inp, "--normals", out, "--dump", dump)
            outs[mode] = np.load(out).astype(np.float64)
            # (e)
            if args.verbose:
                for layer, shape, rms in gc.dump_rms(dump):
                    print("  %-9s %-24s %-16s rms %.4f" % (mode, layer, shape, rms))
            ok = gc.report(PROG, mode, np.load(os.path.join(dump, "conv_last.npy"))) and ok
            if mode == "image":
                merges = (("merge3", "up3"), ("merge2", "up2"), ("merge1", "up1"),
                          ("merge0", "up0"), ("merge_original", "up_original"))
                for (m, u), k in zip(merges, WIDTHS.merge_k):
                    up = np.load(os.path.join(dump, u + ".npy"))
                    mg = np.load(os.path.join(dump, m + ".npy"))
                    took = float((mg[k:] > up[k:]).mean())
                    print("  %-15s K=%d of %d channels; the skip wins %.1f%% of the merged "
                          "elements" % (m, k, mg.shape[0], 100.0 * took))
        a, b = outs["image"], outs["normal-ae"]
        e = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))
        print("  image vs normal-ae outputs differ by %.1f deg on average (different paths)"
              % e.mean())
        gc.print_files((model, nmap, os.path.join(args.out_dir, IMAGE_GOLDEN),
                        os.path.join(args.out_dir, AE_GOLDEN)), 32)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
