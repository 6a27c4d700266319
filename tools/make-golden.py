#!/usr/bin/env python3
"""Regenerates the committed FNR2R golden data in tests/data (deterministic).

  python3 tools/make-golden.py [--out-dir tests/data] [--keep-tmp DIR] [--verbose]

Steps:
 (a) Random weights at the "tiny" widths (coarse d=8, VGG 8,16,32,64,64, guide 8,
     style 32; up outs 64,32,16,8,8) are drawn with random-model.py's initialiser,
     seed SEED below, and saved IN THE PUBLISHED FORMAT with torch.save into a temporary
     directory: p1_ckpt_tiny.pkl = plain UShapedNet(inputdim=1, d=8) state_dict with
     num_batches_tracked; p2_ckpt_tiny.pt = {"model": VGGUnetN256 state_dict} with the
     encoder.* duplicates of the VGG tensors and num_batches_tracked.
 (b) tools/fnrt-convert.py converts them (F32 unless --dtype) -> fnr2r-tiny.safetensors
     (about 4.8 MB: 1.2M parameters, 70% of them in the coarse net's 4x4 kernels).
 (c) A synthetic 256x256 8-bit RGB "face" (shaded ellipse head, hair, eyes, brows,
     nose, mouth, neck and shirt on a gradient background, plus fixed low-amplitude
     noise) -> face-256.png.
 (d) tools/reference.py (float64) -> fnr2r-tiny-normals.npy and
     fnr2r-tiny-exemplar.npy, float32 (256,256,3) unit vectors.
 (e) Prints the minimum pre-normalisation vector norm of both outputs (tanh outputs of
     the coarse net and of the refiner) and how saturated the tanh outputs are; fails
     if a minimum norm is <= 1e-2 or the outputs are saturated / near zero.
Re-running gives byte-identical files (same numpy/torch/PIL versions).
"""

import importlib.util
import os
import sys
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnr2r_layout as layout  # noqa: E402
import golden_common as gc  # noqa: E402
from golden_common import TOOLS  # noqa: E402

PROG = "make-golden"
SEED = 20240917          # weights
IMAGE_SEED = 7           # image noise
WIDTHS = layout.TINY

MODEL_NAME = "fnr2r-tiny.safetensors"
IMAGE_NAME = "face-256.png"
NORMALS_NAME = "fnr2r-tiny-normals.npy"
EXEMPLAR_NAME = "fnr2r-tiny-exemplar.npy"


def _load_random_model():
    spec = importlib.util.spec_from_file_location("random_model",
                                                  os.path.join(TOOLS, "random-model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ----------------------------------------------------------------------------- (a)

def published_state_dicts(widths, seed):
    """(coarse state_dict, refiner state_dict) as the published classes would save them."""
    import torch
    rm = _load_random_model()
    fnrt = OrderedDict(rm.random_tensors(widths, seed))
    counts = np.random.Generator(np.random.PCG64(seed + 1))

    def build(prefix, specs):
        sd = OrderedDict()
        count_of = {}
        for t in specs:
            if t.kind == "bn.count":
                module = t.name[:-len("." + layout.NBT)]
                view = layout.encoder_to_view(t.name)
                key = view[:-len("." + layout.NBT)] if view else module
                if key not in count_of:
                    count_of[key] = int(counts.integers(1000, 100000))
                sd[t.name] = torch.tensor(count_of[key], dtype=torch.int64)
                continue
            view = layout.encoder_to_view(t.name) if t.name.startswith("encoder.") else None
            arr = fnrt[prefix + (view or t.name)]
            sd[t.name] = torch.from_numpy(arr.copy())
        return sd

    coarse = build(layout.COARSE_PREFIX, layout.coarse_specs(widths.coarse_d, published=True))
    refiner = build(layout.REFINER_PREFIX, layout.refiner_specs(widths, published=True))
    return coarse, refiner


# ----------------------------------------------------------------------------- (c)

def _smooth_mask(dist, width):
    """1 inside (dist < 0), 0 outside, smooth over `width` (in the units of dist)."""
    t = np.clip(0.5 - dist / width, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _ellipse_dist(x, y, cx, cy, ax, ay):
    """Approximate signed distance (in normalised units) to an ellipse."""
    r = np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2)
    return (r - 1.0) * min(ax, ay)


def face_image(size=256, seed=IMAGE_SEED):
    """Deterministic synthetic face, uint8 (size, size, 3)."""
    px = 2.0 / size
    c = (np.arange(size) + 0.5) * px - 1.0
    y, x = np.meshgrid(c, c, indexing="ij")  # y down, x right, in [-1, 1]
    aa = 1.5 * px

    def over(img, colour, mask):
        m = mask[..., None]
        return img * (1.0 - m) + colour * m

    # background: vertical blue-grey gradient with a soft horizontal tint
    top, bottom = np.array([0.16, 0.27, 0.43]), np.array([0.62, 0.66, 0.72])
    t = ((y + 1.0) / 2.0)[..., None]
    img = top * (1.0 - t) + bottom * t
    img = img + 0.06 * np.sin(2.2 * x + 0.5)[..., None] * np.array([0.5, 0.2, -0.3])

    light = np.array([-0.45, -0.55, 0.70])
    light = light / np.linalg.norm(light)

    def shade(cx, cy, ax, ay):
        u, v = (x - cx) / ax, (y - cy) / ay
        nz = np.sqrt(np.clip(1.0 - u * u - v * v, 0.0, 1.0))
        lam = np.clip(u * light[0] + v * light[1] + nz * light[2], 0.0, 1.0)
        return (0.30 + 0.75 * lam)[..., None]

    # shirt and neck
    shirt = _smooth_mask(np.maximum(0.62 - y, np.abs(x) - 0.95 + 0.3 * (y - 0.62)), aa)
    img = over(img, np.array([0.20, 0.35, 0.62]) * (0.8 + 0.2 * (x[..., None] + 1.0) / 2.0), shirt)
    neck = _smooth_mask(np.maximum(np.abs(x) - 0.20, np.maximum(0.30 - y, y - 0.75)), aa)
    skin = np.array([0.88, 0.67, 0.55])
    img = over(img, skin * shade(0.0, 0.5, 0.35, 0.6) * 0.85, neck)

    # hair behind the head
    hair_d = _ellipse_dist(x, y, 0.0, -0.10, 0.62, 0.75)
    hair = _smooth_mask(np.maximum(hair_d, y - 0.15), aa)
    img = over(img, np.array([0.25, 0.16, 0.10]) * shade(0.0, -0.1, 0.62, 0.75), hair)

    # head
    hx, hy, ha, hb = 0.0, 0.05, 0.50, 0.66
    head = _smooth_mask(_ellipse_dist(x, y, hx, hy, ha, hb), aa)
    s = shade(hx, hy, ha, hb)
    cheeks = (np.exp(-((x - 0.25) ** 2 + (y - 0.22) ** 2) / 0.012) +
              np.exp(-((x + 0.25) ** 2 + (y - 0.22) ** 2) / 0.012))[..., None]
    face_col = skin * s + cheeks * np.array([0.10, -0.04, -0.03])
    img = over(img, face_col, head)

    # fringe of hair on the forehead
    fringe = _smooth_mask(np.maximum(_ellipse_dist(x, y, hx, hy, ha, hb),
                                     y - (-0.32 + 0.06 * np.cos(9.0 * x))), aa)
    img = over(img, np.array([0.28, 0.18, 0.11]) * s, fringe)

    # eyes, irises, brows
    for sx in (-1.0, 1.0):
        ex, ey = 0.19 * sx, -0.05
        white = _smooth_mask(_ellipse_dist(x, y, ex, ey, 0.10, 0.045), aa)
        img = over(img, np.array([0.93, 0.92, 0.90]) * s, white)
        iris = _smooth_mask(np.sqrt((x - ex) ** 2 + (y - ey) ** 2) - 0.038, aa) * white
        img = over(img, np.array([0.30, 0.45, 0.25]), iris)
        pupil = _smooth_mask(np.sqrt((x - ex) ** 2 + (y - ey) ** 2) - 0.016, aa)
        img = over(img, np.array([0.05, 0.05, 0.05]), pupil)
        brow_y = -0.15 - 0.035 * np.cos((x - ex) / 0.12 * np.pi / 2)
        brow = _smooth_mask(np.maximum(np.abs(y - brow_y) - 0.016, np.abs(x - ex) - 0.12), aa)
        img = over(img, np.array([0.22, 0.14, 0.09]), brow)

    # nose: a soft shadow on the unlit side and a highlight on the lit side
    nose_sh = np.exp(-(((x - 0.035) / 0.035) ** 2 + ((y - 0.14) / 0.11) ** 2))[..., None]
    nose_hi = np.exp(-(((x + 0.03) / 0.03) ** 2 + ((y - 0.12) / 0.10) ** 2))[..., None]
    img = img * (1.0 - 0.25 * nose_sh * head[..., None]) + 0.08 * nose_hi * head[..., None]

    # mouth
    mouth_y = 0.38 + 0.03 * (1.0 - (x / 0.16) ** 2)
    mouth = _smooth_mask(np.maximum(np.abs(y - mouth_y) - 0.022 * (1.0 - (x / 0.17) ** 2),
                                    np.abs(x) - 0.16), aa)
    img = over(img, np.array([0.70, 0.25, 0.28]) * s, mouth)

    rng = np.random.Generator(np.random.PCG64(seed))
    img = img + rng.normal(0.0, 1.0 / 255.0, img.shape)
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = gc.arg_parser("Regenerate the FNR2R golden test data.",
                       "use DIR for the checkpoints and dumps and keep it")
    ap.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32",
                    help="stored weight type of the tiny model (default f32; the committed "
                         "golden data uses f32)")
    args = ap.parse_args(argv)

    import torch
    from PIL import Image
    torch.set_num_threads(2)

    os.makedirs(args.out_dir, exist_ok=True)
    with gc.work_dir(args.keep_tmp, "fnrt-golden-") as tmp:
        # (a)
        coarse, refiner = published_state_dicts(WIDTHS, SEED)
        p1 = os.path.join(tmp, "p1_ckpt_tiny.pkl")
        p2 = os.path.join(tmp, "p2_ckpt_tiny.pt")
        torch.save(coarse, p1)
        torch.save({"model": refiner}, p2)
        print("make-golden: published-format checkpoints (%s, seed %d) in %s"
              % (WIDTHS.describe(), SEED, tmp))

        # (b)
        model = os.path.join(args.out_dir, MODEL_NAME)
        sys.stdout.write(gc.run_tool(PROG, "fnrt-convert.py", "--coarse", p1, "--refiner", p2,
                                     "-o", model, "--force", "--dtype", args.dtype))

        # (c)
        image = os.path.join(args.out_dir, IMAGE_NAME)
        Image.fromarray(face_image(), "RGB").save(image, format="PNG")

        # (d)
        normals = os.path.join(args.out_dir, NORMALS_NAME)
        exemplar = os.path.join(args.out_dir, EXEMPLAR_NAME)
        dump = os.path.join(tmp, "dump")
        gc.run_tool(PROG, "reference.py", "-m", model, "--input", image, "--normals", normals,
                    "--exemplar", exemplar, "--dump", dump)

        # (e)
        if args.verbose:
            for name, shape, rms in gc.dump_rms(dump):
                print("  %-28s %-16s rms %.4f" % (name, shape, rms))
        print("make-golden: output statistics")
        ok = gc.report(PROG, "exemplar", np.load(os.path.join(dump, "coarse.out.npy")), tanh=True)
        ok = gc.report(PROG, "normals", np.load(os.path.join(dump, "refiner.out.npy")),
                       tanh=True) and ok
        gc.print_files((model, image, normals, exemplar), 28)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
