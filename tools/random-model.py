#!/usr/bin/env python3
"""Writes a random-weight FNR2R model in the fnrt safetensors format (numpy only).

  python3 tools/random-model.py -o FILE [--coarse-d 64] [--vgg-widths 64,128,256,512,512]
      [--guide-width 64] [--style-dim 256] [--seed 0] [--dtype f32|f16|bf16] [--force]
  python3 tools/random-model.py --architecture crossmodal -o FILE [--seed 0]
      [--crossmodal-scale N] [--dtype ...] [--force]
      (the cross-modal network of Abrevaya et al. 2020 at the published widths divided by
      N, default 1; initialisation described in tools/crossmodal_random.py)

Initialisation (chosen so that activations stay O(1) through the whole depth and the
outputs are neither saturated nor near zero):
  * conv / deconv weights ~ N(0, (gain / sqrt(fan_in))^2), He style, where gain is
    that of the nonlinearity that follows (layout.TensorSpec.gain) and fan_in is
    Cin*kh*kw for a conv and Cin*(kh/2)*(kw/2) for the stride-2 transposed convs
    (each output pixel sees a quarter of the taps).  A few coarse layers whose
    inputs are mostly zero padding at 256x256 input (2x2 and 1x1 maps) get extra gain,
    and the residual conv_s of the up blocks a gain of 1/sqrt(2) so that the sum
    x + x1_s keeps its scale.
  * biases ~ N(0, 0.05^2).
  * The last output channel (z) of coarse.deconv8 and of refiner.conv11 gets bias +1
    and its weights scaled by 0.4, so normals point roughly towards the camera (as
    real ones do) and the pre-normalisation vectors stay well away from zero (an
    accurate direction is then well defined everywhere), while x and y still vary
    in sign over the image.
  * BatchNorm: gamma ~ U[0.5, 1.5], beta ~ N(0, 0.1^2), running_mean ~ N(0, 0.1^2),
    running_var ~ U[0.5, 2].
  * SDFT.weight ~ N(0, 1) (as the published init); modulation weight ~ N(0, 1/S),
    modulation bias ~ N(0, 0.5^2).
The random stream is numpy's PCG64 Generator seeded with --seed, drawn in the
layout order of the tensors, so a (seed, widths) pair always gives the same file.
"""

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnr2r_layout as layout  # noqa: E402
import safetensors_io  # noqa: E402

# Extra gains on top of the He gain, by published (unprefixed) name.  The coarse
# innermost layers work on 4x4 -> 2x2 -> 1x1 maps where most kernel taps hit padding.
EXTRA_GAIN = {
    "conv7.weight": 4.0 / 3.0,
    "conv8.weight": 2.0,
    "deconv1.weight": 2.0,
}
RESIDUAL_GAIN = 1.0 / math.sqrt(2.0)
OUTPUT_LAYERS = ("deconv8", "conv11")  # the layers feeding a tanh normal output
Z_BIAS = 1.0
Z_WEIGHT_GAIN = 0.4


def _fan_in(spec):
    shape = spec.shape
    if spec.kind == "conv":
        return shape[1] * shape[2] * shape[3]
    if spec.kind == "deconv":  # stride 2: a quarter of the taps reach an output pixel
        return shape[0] * max(1, shape[2] // 2) * max(1, shape[3] // 2)
    raise ValueError(spec.kind)


def random_tensor(spec, rng, short_name):
    """One tensor for `spec` (float32), drawn from rng."""
    shape, kind = spec.shape, spec.kind
    if kind in ("conv", "deconv"):
        gain = spec.gain * EXTRA_GAIN.get(short_name, 1.0)
        if short_name.endswith(".conv_s.weight"):
            gain *= RESIDUAL_GAIN
        std = gain / math.sqrt(_fan_in(spec))
        wt = rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        if short_name.rsplit(".", 1)[0] in OUTPUT_LAYERS:
            out_axis = 1 if kind == "deconv" else 0
            index = [slice(None)] * len(shape)
            index[out_axis] = -1
            wt[tuple(index)] *= np.float32(Z_WEIGHT_GAIN)
        return wt
    if kind == "bias":
        b = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05)
        if short_name.rsplit(".", 1)[0] in OUTPUT_LAYERS:
            b[-1] += np.float32(Z_BIAS)
        return b
    if kind == "bn.weight":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if kind in ("bn.bias", "bn.mean"):
        return rng.normal(0.0, 0.1, shape).astype(np.float32)
    if kind == "bn.var":
        return rng.uniform(0.5, 2.0, shape).astype(np.float32)
    if kind == "bn.count":
        return np.array(int(rng.integers(1, 100000)), dtype=np.int64)
    if kind == "sdft.weight":
        return rng.standard_normal(shape, dtype=np.float32)
    if kind == "mod.weight":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(1.0 / math.sqrt(shape[1]))
    if kind == "mod.bias":
        return rng.normal(0.0, 0.5, shape).astype(np.float32)
    raise ValueError("unknown tensor kind %r" % kind)


def random_tensors(widths, seed):
    """Ordered list of (fnrt name, float32 array) for a whole model."""
    rng = np.random.Generator(np.random.PCG64(seed))
    out = []
    for prefix, specs in ((layout.COARSE_PREFIX, layout.coarse_specs(widths.coarse_d)),
                          (layout.REFINER_PREFIX, layout.refiner_specs(widths))):
        for spec in specs:
            out.append((prefix + spec.name, random_tensor(spec, rng, spec.name)))
    return out


def main_crossmodal(args):
    """--architecture crossmodal: published widths / --crossmodal-scale."""
    import crossmodal_layout as xm
    import crossmodal_random
    f = args.crossmodal_scale
    full = xm.FULL
    try:
        if f < 1 or any(v % f for v in full.resnet + full.up + (full.l4proj, full.fullres, full.head)):
            raise xm.LayoutError("--crossmodal-scale must divide every published width (1, 2, 4, 8, ...)")
        w = xm.make_widths([v // f for v in full.resnet], full.blocks, full.l4proj // f,
                           [v // f for v in full.up], full.fullres // f, full.head // f)
    except xm.LayoutError as e:
        print("random-model: %s" % e, file=sys.stderr)
        return 2
    tensors = crossmodal_random.random_tensors(w, args.seed)
    meta = {"format": "fnrt", "fnrt_format_version": "1", "architecture": xm.ARCHITECTURE,
            "bn_eps": "1e-05", "modes": ",".join(xm.MODES)}
    meta.update(w.metadata())
    meta["source_crossmodal"] = "random:seed=%d" % args.seed
    meta["converter"] = "random-model.py"
    try:
        safetensors_io.write(args.output, tensors, meta, dtype=args.dtype.upper(),
                             overwrite=args.force)
    except FileExistsError:
        print("random-model: %s exists (use --force to overwrite)" % args.output, file=sys.stderr)
        return 2
    except (OSError, safetensors_io.SafetensorsError) as e:
        print("random-model: %s" % e, file=sys.stderr)
        return 1
    n = sum(a.size for _, a in tensors)
    print("random-model: wrote %s (crossmodal, %s, %d tensors, %d parameters, seed %d)"
          % (args.output, w.describe(), len(tensors), n, args.seed))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a random-weight FNR2R (or cross-modal) model in the fnrt "
                    "safetensors format.")
    ap.add_argument("-o", "--output", required=True, help="output .safetensors file")
    ap.add_argument("--architecture", choices=("fnr2r", "crossmodal"), default="fnr2r")
    ap.add_argument("--crossmodal-scale", type=int, default=1, metavar="N",
                    help="crossmodal: divide every published width by N (default 1)")
    ap.add_argument("--coarse-d", type=int, default=layout.FULL.coarse_d)
    ap.add_argument("--vgg-widths", default=",".join(map(str, layout.FULL.vgg)))
    ap.add_argument("--guide-width", type=int, default=layout.FULL.guide)
    ap.add_argument("--style-dim", type=int, default=layout.FULL.style)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32")
    ap.add_argument("--force", action="store_true", help="overwrite an existing output")
    args = ap.parse_args(argv)
    if args.seed < 0:
        print("random-model: --seed must be >= 0", file=sys.stderr)
        return 2
    if args.architecture == "crossmodal":
        return main_crossmodal(args)
    try:
        w = layout.parse_widths(args.coarse_d, args.vgg_widths, args.guide_width, args.style_dim)
    except layout.LayoutError as e:
        print("random-model: %s" % e, file=sys.stderr)
        return 2
    if args.seed < 0:
        print("random-model: --seed must be >= 0", file=sys.stderr)
        return 2
    tensors = random_tensors(w, args.seed)
    meta = {
        "format": "fnrt",
        "fnrt_format_version": "1",
        "architecture": "fnr2r",
        "bn_eps": "1e-05",
    }
    meta.update(w.metadata())
    meta["source_coarse"] = "random:seed=%d" % args.seed
    meta["source_refiner"] = "random:seed=%d" % args.seed
    meta["converter"] = "random-model.py"
    try:
        safetensors_io.write(args.output, tensors, meta, dtype=args.dtype.upper(),
                             overwrite=args.force)
    except FileExistsError:
        print("random-model: %s exists (use --force to overwrite)" % args.output, file=sys.stderr)
        return 2
    except (OSError, safetensors_io.SafetensorsError) as e:
        print("random-model: %s" % e, file=sys.stderr)
        return 1
    n = sum(a.size for _, a in tensors)
    print("random-model: wrote %s (%s, %d tensors, %d parameters, seed %d)"
          % (args.output, w.describe(), len(tensors), n, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
