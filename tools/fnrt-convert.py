#!/usr/bin/env python3
"""Converts published PyTorch checkpoints into one fnrt .safetensors model file.

FNR2R ("Face Normal Estimation from Rags to Riches"):
  python3 tools/fnrt-convert.py --coarse p1_ckpt_200.pkl --refiner p2_ckpt_150.pt \\
      -o model.safetensors [--dtype f32|f16|bf16] [--force]

  --coarse   torch.save'd state_dict of UShapedNet(inputdim=1, d)
  --refiner  torch.save'd {"model": state_dict} (or a bare state_dict) of VGGUnetN256

The output holds every coarse tensor as "coarse.<published name>" and every refiner
tensor as "refiner.<published name>", BatchNorm unfolded, without num_batches_tracked,
without the refiner's encoder.* duplicates (each is checked to equal its block view)
and without a DataParallel "module." prefix.  Widths are inferred from the tensors and
every expected tensor is checked for presence and shape (see tools/fnr2r_layout.py).

Exit status: 0 ok; 2 usage / invalid checkpoint (missing, misshaped, unexpected or
non-finite tensor, encoder duplicate that differs) / output exists without --force;
1 I/O or other errors.  The output is written to a temporary file and renamed.

Cross-modal face normals (Abrevaya et al., CVPR 2020; the authors' model.pth):
  python3 tools/fnrt-convert.py --crossmodal model.pth -o model.safetensors [--dtype ...]

  --crossmodal  torch.save'd state_dict of the published ResNetUNet (or {"model"/
                "state_dict": state_dict})

The output holds the tensors of the image encoder, the 1x1 projections, the normal
decoder, the full-resolution branch and the normal encoder copy (layer*_2) under their
published names (tools/crossmodal_layout.py), BatchNorm unfolded.  It drops the base_model.*
duplicates of the encoder (each checked to equal its layerN view), the ResNet classifier
(base_model.fc), the image-reconstruction decoder (conv_up*_2, conv_original_size*_2,
conv_last_2) and num_batches_tracked.  The published weights are licensed CC BY-NC 4.0:
the converted file is under the same licence (metadata "source_license").

Further architectures plug in through ARCHITECTURES (an input option selects one,
the converter returns (ordered tensors, metadata) and the common writer does the rest).
"""

import argparse
import os
import pickle
import sys
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnr2r_layout as layout  # noqa: E402
import crossmodal_layout as xm_layout  # noqa: E402
import safetensors_io  # noqa: E402

CONVERTER = "fnrt-convert.py"
FORMAT_VERSION = "1"
BN_EPS = "1e-05"


class ConvertError(Exception):
    """Invalid input: reported on stderr, exit status 2."""


# ----------------------------------------------------------------------------- loading

def load_checkpoint(path, what, trust_pickle):
    """torch.load on CPU; weights-only unpickling unless trust_pickle."""
    import torch
    if not os.path.isfile(path):
        raise ConvertError("%s checkpoint %s: no such file" % (what, path))
    try:
        if trust_pickle:
            return torch.load(path, map_location="cpu")
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # torch without weights_only
            raise ConvertError("this torch has no weights-only loading; re-run with "
                               "--trust-pickle if you trust %s" % path)
    except ConvertError:
        raise
    except pickle.UnpicklingError as e:
        raise ConvertError("%s checkpoint %s cannot be loaded weights-only (%s); re-run with "
                           "--trust-pickle if you trust the file" % (what, path, str(e).splitlines()[0]))
    except Exception as e:  # torch raises RuntimeError, EOFError, zipfile errors, ...
        raise ConvertError("%s checkpoint %s: cannot load: %s" % (what, path, e))


def state_dict_of(obj, what, wrapper_keys=("model", "state_dict")):
    """The state_dict inside a loaded checkpoint, as OrderedDict name -> torch.Tensor,
    with a DataParallel "module." prefix removed."""
    import torch
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConvertError("%s checkpoint is a %s, not a state_dict" % (what, type(obj).__name__))
    for key in wrapper_keys:
        if key in obj and isinstance(obj[key], (dict, torch.nn.Module)):
            return state_dict_of(obj[key], what, ())
    sd = OrderedDict()
    for name, value in obj.items():
        if not isinstance(value, torch.Tensor):
            raise ConvertError("%s checkpoint: entry %r is a %s, not a tensor (not a state_dict?)"
                               % (what, name, type(value).__name__))
        key = name[len("module."):] if name.startswith("module.") else name
        if key in sd:
            raise ConvertError("%s checkpoint: %r appears with and without 'module.'" % (what, key))
        sd[key] = value
    if not sd:
        raise ConvertError("%s checkpoint holds no tensors" % what)
    return sd


def to_float32(t, name, where):
    """torch tensor -> float32 numpy array; rejects non-float and non-finite tensors."""
    if not t.is_floating_point():
        raise ConvertError("%stensor %s has dtype %s, expected floating point" % (where, name, t.dtype))
    a = t.detach().to("cpu").float().contiguous().numpy()
    if not np.isfinite(a).all():
        raise ConvertError("%stensor %s holds NaN or Inf" % (where, name))
    return a


def drop_bn_counters(sd):
    return OrderedDict((k, v) for k, v in sd.items()
                       if not k.endswith("." + layout.NBT))


# ----------------------------------------------------------------------------- FNR2R

def fnr2r_refiner_dedup(sd, where):
    """Verifies and removes the encoder.* duplicates of the VGG block views."""
    import torch
    out = OrderedDict()
    for name, t in sd.items():
        if not name.startswith("encoder."):
            out[name] = t
            continue
        view = layout.encoder_to_view(name)
        if view is None:
            raise ConvertError("%sunexpected tensor %s (not a VGG13-BN conv/bn parameter)"
                               % (where, name))
        if view not in sd:
            raise ConvertError("%stensor %s has no block view %s" % (where, name, view))
        other = sd[view]
        if tuple(t.shape) != tuple(other.shape) or not torch.equal(t, other):
            raise ConvertError("%stensor %s differs from its block view %s" % (where, name, view))
    return out


def convert_fnr2r(args):
    where_c, where_r = "coarse: ", "refiner: "
    coarse = drop_bn_counters(state_dict_of(load_checkpoint(args.coarse, "coarse",
                                                            args.trust_pickle), "coarse"))
    refiner = state_dict_of(load_checkpoint(args.refiner, "refiner", args.trust_pickle), "refiner")
    refiner = drop_bn_counters(fnr2r_refiner_dedup(refiner, where_r))

    shapes_c = {k: tuple(v.shape) for k, v in coarse.items()}
    shapes_r = {k: tuple(v.shape) for k, v in refiner.items()}
    try:
        w = layout.infer_widths(shapes_c, shapes_r, where_c, where_r)
    except layout.LayoutError as e:
        raise ConvertError(str(e))
    specs_c = layout.coarse_specs(w.coarse_d)
    specs_r = layout.refiner_specs(w)
    problems = (layout.check_shapes(shapes_c, specs_c, where_c) +
                layout.check_shapes(shapes_r, specs_r, where_r))
    if problems:
        raise ConvertError("checkpoints do not match FNR2R at %s:\n  %s"
                           % (w.describe(), "\n  ".join(problems)))

    tensors = []
    for prefix, specs, sd, where in ((layout.COARSE_PREFIX, specs_c, coarse, where_c),
                                     (layout.REFINER_PREFIX, specs_r, refiner, where_r)):
        for spec in specs:
            tensors.append((prefix + spec.name, to_float32(sd[spec.name], spec.name, where)))
    meta = OrderedDict([("architecture", "fnr2r"), ("bn_eps", BN_EPS)])
    meta.update(w.metadata())
    meta["source_coarse"] = os.path.basename(args.coarse)
    meta["source_refiner"] = os.path.basename(args.refiner)
    summary = "fnr2r, %s" % w.describe()
    return tensors, meta, summary


# ----------------------------------------------------------------------------- cross-modal

def convert_crossmodal(args):
    where = "crossmodal: "
    import torch
    sd = drop_bn_counters(state_dict_of(load_checkpoint(args.crossmodal, "crossmodal",
                                                        args.trust_pickle), "crossmodal"))
    kept = OrderedDict()
    n_dropped = 0
    for name, t in sd.items():
        if name.startswith("base_model.") and not xm_layout.is_dropped(name):
            view = xm_layout.base_model_to_view(name)
            if view is None:
                raise ConvertError("%sunexpected tensor %s (not a ResNet-18 encoder parameter)"
                                   % (where, name))
            if view not in sd:
                raise ConvertError("%stensor %s has no encoder view %s" % (where, name, view))
            other = sd[view]
            if tuple(t.shape) != tuple(other.shape) or not torch.equal(t, other):
                raise ConvertError("%stensor %s differs from its encoder view %s"
                                   % (where, name, view))
            n_dropped += 1
        elif xm_layout.is_dropped(name):
            n_dropped += 1
        else:
            kept[name] = t
    shapes = {k: tuple(v.shape) for k, v in kept.items()}
    try:
        w = xm_layout.infer_widths(shapes)
    except xm_layout.LayoutError as e:
        raise ConvertError(where + str(e))
    specs = xm_layout.model_specs(w)
    problems = xm_layout.check_shapes(shapes, specs, where)
    if problems:
        raise ConvertError("checkpoint does not match the cross-modal network at %s:\n  %s"
                           % (w.describe(), "\n  ".join(problems)))
    tensors = [(spec.name, to_float32(kept[spec.name], spec.name, where)) for spec in specs]
    meta = OrderedDict([("architecture", xm_layout.ARCHITECTURE), ("bn_eps", BN_EPS),
                        ("modes", ",".join(xm_layout.MODES))])
    meta.update(w.metadata())
    meta["source_crossmodal"] = os.path.basename(args.crossmodal)
    meta["source_license"] = ("CC BY-NC 4.0 if converted from the published model.pth "
                              "(Abrevaya et al. 2020)")
    summary = "crossmodal, %s, %d published tensors dropped" % (w.describe(), n_dropped)
    return tensors, meta, summary


# name -> (converter, options that select it (all required), usage)
ARCHITECTURES = OrderedDict([
    ("fnr2r", (convert_fnr2r, ("coarse", "refiner"), "FNR2R: --coarse P1 --refiner P2")),
    ("crossmodal", (convert_crossmodal, ("crossmodal",), "CrossModal: --crossmodal M.pth")),
])


def select_architecture(args, ap):
    given = [name for name, (_, opts, _) in ARCHITECTURES.items()
             if any(getattr(args, o) is not None for o in opts)]
    if len(given) != 1:
        ap.error("give the inputs of exactly one architecture: " +
                 "; ".join(d for _, _, d in ARCHITECTURES.values()))
    name = given[0]
    _, opts, desc = ARCHITECTURES[name]
    missing = [o for o in opts if getattr(args, o) is None]
    if missing:
        ap.error("%s needs %s (usage %s)" % (name, ", ".join("--" + o for o in missing), desc))
    return name


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Convert published checkpoints to an fnrt .safetensors model.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 ok, 2 invalid input or existing output, 1 other errors")
    g = ap.add_argument_group("FNR2R inputs")
    g.add_argument("--coarse", metavar="P1", help="UShapedNet state_dict (e.g. p1_ckpt_200.pkl)")
    g.add_argument("--refiner", metavar="P2",
                   help='VGGUnetN256 {"model": state_dict} or state_dict (e.g. p2_ckpt_150.pt)')
    g = ap.add_argument_group("cross-modal inputs (Abrevaya et al. 2020)")
    g.add_argument("--crossmodal", metavar="M.pth",
                   help="ResNetUNet state_dict (the published model.pth)")
    ap.add_argument("-o", "--output", required=True, metavar="MODEL",
                    help="output .safetensors file")
    ap.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32",
                    help="stored tensor type (default f32)")
    ap.add_argument("--force", action="store_true", help="overwrite an existing output")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="allow full (unsafe) unpickling for checkpoints that hold more "
                         "than tensors and plain containers")
    args = ap.parse_args(argv)
    arch = select_architecture(args, ap)

    if os.path.lexists(args.output) and not args.force:
        print("fnrt-convert: %s exists (use --force to overwrite)" % args.output, file=sys.stderr)
        return 2
    try:
        import torch
        torch.set_num_threads(2)
        tensors, meta, summary = ARCHITECTURES[arch][0](args)
    except ConvertError as e:
        print("fnrt-convert: error: %s" % e, file=sys.stderr)
        return 2
    header = OrderedDict([("format", "fnrt"), ("fnrt_format_version", FORMAT_VERSION)])
    header.update(meta)
    header["converter"] = CONVERTER
    try:
        safetensors_io.write(args.output, tensors, header, dtype=args.dtype.upper(),
                             overwrite=args.force)
    except FileExistsError:
        print("fnrt-convert: %s exists (use --force to overwrite)" % args.output, file=sys.stderr)
        return 2
    except safetensors_io.SafetensorsError as e:
        print("fnrt-convert: error: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        print("fnrt-convert: cannot write %s: %s" % (args.output, e), file=sys.stderr)
        return 1
    n = sum(a.size for _, a in tensors)
    print("fnrt-convert: wrote %s (%s, %d tensors, %d parameters, %s)"
          % (args.output, summary, len(tensors), n, args.dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())
