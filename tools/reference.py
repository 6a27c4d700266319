#!/usr/bin/env python3
"""Independent float64 PyTorch reference of FNR2R, reading an fnrt model file.

  python3 tools/reference.py -m MODEL.safetensors --input IMG.png --normals OUT.npy
      [--exemplar EX.npy] [--dump DIR]

Written from the network description with torch.nn.functional only (not the published
classes).  Weights are read with tools/safetensors_io.py (F32/F16/BF16) and everything is
computed in float64.  The input PNG is read with PIL, converted to RGB, scaled by 1/255
and must be 256x256 (model and image loading: tools/reference_common.py).

Outputs (float32 .npy, shape (H, W, 3)):
  --normals   final unit normals (refiner output, L2-normalised per pixel)
  --exemplar  exemplar normals fed to the refiner (coarse output, normalised, (x,y,z)->(y,-x,z))

--dump DIR writes every intermediate as DIR/<name>.npy, float32, shape (C, H, W):
  input                     RGB input (3,256,256)
  coarse.input              gray = mean(R,G,B) (1,256,256)
  coarse.conv1              e1 = conv1(gray)                    (no BN)
  coarse.conv2 .. conv7     eN = convN_bn(convN(leaky(e_{N-1})))
  coarse.conv8              e8 = conv8(leaky(e7))               (no BN)
  coarse.deconv1 .. deconv7 deconvN_bn(deconvN(relu(.))), before the concat with the skip
  coarse.deconv8            deconv8(relu(d7)), before tanh
  coarse.out                tanh(coarse.deconv8)
  exemplar                  normalised coarse.out with (x,y,z) -> (y,-x,z)
  guide.conv0.0, guide.conv0.1          relu(conv3x3) at full size
  guide.convK.0             relu(conv5x5 stride 2), K = 1,2,3
  guide.convK               after the double_conv (conv,bn,relu,conv,bn,relu)
  guide.pool                global average (g,1,1)
  style                     NormFeat.toplayer output (S,1,1)
  refiner.block1 .. block5  VGG13-BN stages (block2..5 start with the 2x2 maxpool)
  refiner.bottleneck        maxpool of block5
  refiner.conv_bottleneck   double_conv(bottleneck) = feat_1
  refiner.upN.upsample      xc1 = bilinear x2 of the block input (align_corners=False)
  refiner.upN.conv_s        x1_s = conv_s(xc1)
  refiner.upN.conv_cat      leaky(conv_cat.2(leaky(conv_cat.0(cat[xc1, skip[:, ::4]]))))
  refiner.upN.modulation    SDFT modulation(style), one value per input channel (C,1,1)
  refiner.upN.sdft          SDFT(conv_cat)
  refiner.upN               sdft + conv_s = block output (x6 .. x10), N = 1..5
  refiner.conv11            conv11(x10), before tanh
  refiner.out               tanh(refiner.conv11)
  normals                   refiner.out / max(||refiner.out||, 1e-12) per pixel

The files --dump writes carry fnrt's graph layer names (the names `fnrt diff --dump` uses,
host/src/core/fnr2r.c), so `fnrt diff --dump D` and `reference.py --dump D/torch` can be
compared file by file: where the name above differs, the file is named as in the graph
(GRAPH_NAMES below): coarse.input -> coarse.gray, guide.convK -> guide.convK.1.3,
refiner.bottleneck (the max-pool) -> refiner.pool5, refiner.conv_bottleneck ->
refiner.bottleneck, refiner.upN.conv_cat -> refiner.upN.conv_cat.2, refiner.upN.modulation ->
refiner.upN.style.  coarse.deconv8, refiner.upN.sdft and refiner.conv11 have no graph
counterpart (fnrt fuses them with the following tanh / residual add) and keep their names;
graph layers with no file here (coarse.catN, refiner.poolN for N < 5, ...) are data
movement or fused sub-steps.  The run() API keeps the names above.

Exit status: 0 ok, 2 bad arguments / input / model, 1 other errors.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnr2r_layout as layout  # noqa: E402
from reference_common import (IMAGE_SIZE, RefError, TorchNet, load_fnrt_model,  # noqa: E402,F401
                              load_image, save_dumps, save_npy)


def _widths(path, shapes, meta):
    w = layout.infer_widths_fnrt(shapes)
    if all(k in meta for k in ("coarse_d", "vgg_widths", "guide_width", "style_dim")):
        mw = layout.widths_from_metadata(meta)
        if mw != w:
            raise RefError("%s: metadata widths (%s) disagree with tensor shapes (%s)"
                           % (path, mw.describe(), w.describe()))
    return w


def load_model(path):
    """Reads an fnrt FNR2R file; returns (widths, bn_eps, dict name -> float64 tensor)."""
    return load_fnrt_model(path, "fnr2r", layout, _widths)


class Net(TorchNet):
    """FNR2R forward pass on a single image (batch of 1), float64."""

    # -- primitives ---------------------------------------------------------------
    def conv(self, name, x, stride=1, padding=0):
        return self.F.conv2d(x, self.p[name + ".weight"], self.p[name + ".bias"],
                             stride=stride, padding=padding)

    def deconv(self, name, x):
        return self.F.conv_transpose2d(x, self.p[name + ".weight"], self.p[name + ".bias"],
                                       stride=2, padding=1)

    def bn(self, name, x):
        p = self.p
        scale = p[name + ".weight"] / self.torch.sqrt(p[name + ".running_var"] + self.eps)
        shift = p[name + ".bias"] - p[name + ".running_mean"] * scale
        return x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)

    def leaky(self, x):
        return self.F.leaky_relu(x, 0.2)

    def double_conv(self, prefix, x):
        x = self.relu(self.bn(prefix + ".1", self.conv(prefix + ".0", x, padding=1)))
        return self.relu(self.bn(prefix + ".4", self.conv(prefix + ".3", x, padding=1)))

    # -- coarse net ---------------------------------------------------------------
    def coarse(self, rgb):
        c = "coarse."
        gray = self._save("coarse.input", rgb.mean(dim=1, keepdim=True))
        e = [self._save("coarse.conv1", self.conv(c + "conv1", gray, stride=2, padding=1))]
        for n in range(2, 9):
            y = self.conv(c + "conv%d" % n, self.leaky(e[-1]), stride=2, padding=1)
            if n <= 7:
                y = self.bn(c + "conv%d_bn" % n, y)
            e.append(self._save("coarse.conv%d" % n, y))
        d = e[7]
        for n in range(1, 8):
            y = self.bn(c + "deconv%d_bn" % n, self.deconv(c + "deconv%d" % n, self.relu(d)))
            self._save("coarse.deconv%d" % n, y)
            d = self.torch.cat([y, e[7 - n]], dim=1)  # dropout -> its expectation (identity)
        y = self._save("coarse.deconv8", self.deconv(c + "deconv8", self.relu(d)))
        return self._save("coarse.out", self.torch.tanh(y))

    # -- guide encoder ------------------------------------------------------------
    def guide(self, ex):
        g = "refiner.NormFeat."
        x = self._save("guide.conv0.0", self.relu(self.conv(g + "conv0.0.main.0", ex, padding=1)))
        x = self._save("guide.conv0.1", self.relu(self.conv(g + "conv0.1.main.0", x, padding=1)))
        for k in (1, 2, 3):
            x = self.relu(self.conv(g + "conv%d.0.main.0" % k, x, stride=2, padding=2))
            self._save("guide.conv%d.0" % k, x)
            x = self._save("guide.conv%d" % k, self.double_conv(g + "conv%d.1" % k, x))
        x = self._save("guide.pool", x.mean(dim=(2, 3), keepdim=True))
        return self._save("style", self.conv(g + "toplayer", x))

    # -- refiner ------------------------------------------------------------------
    def vgg_block(self, b, x):
        r = "refiner.block%d." % b
        if b > 1:
            x = self.F.max_pool2d(x, 2, 2)
        (c1, n1), (c2, n2) = layout.BLOCK_CONVS[b]
        x = self.relu(self.bn(r + str(n1), self.conv(r + str(c1), x, padding=1)))
        x = self.relu(self.bn(r + str(n2), self.conv(r + str(c2), x, padding=1)))
        return self._save("refiner.block%d" % b, x)

    def sdft(self, prefix, x, style):
        torch = self.torch
        weight = self.p[prefix + ".weight"][0]                    # (C, C, 3, 3)
        c = weight.shape[1]
        m = self.conv(prefix + ".modulation", style)              # (1, C, 1, 1)
        self._save(prefix[:-len(".SDFT")] + ".modulation", m)
        s = m.view(-1)
        wmod = weight * s.view(1, -1, 1, 1) / np.sqrt(c * weight.shape[2] * weight.shape[3])
        demod = torch.rsqrt((wmod * wmod).sum(dim=(1, 2, 3)) + 1e-8)
        wmod = wmod * demod.view(-1, 1, 1, 1)
        return self.F.conv2d(x, wmod, None, padding=1)

    def up(self, n, x1, skip, style):
        r = "refiner.up%d" % n
        xc1 = self.F.interpolate(x1, scale_factor=2, mode="bilinear", align_corners=False)
        self._save(r + ".upsample", xc1)
        x1_s = self._save(r + ".conv_s", self.conv(r + ".conv_s", xc1))
        x = self.torch.cat([xc1, skip[:, ::4]], dim=1)
        x = self.leaky(self.conv(r + ".conv_cat.0", x))
        x = self._save(r + ".conv_cat", self.leaky(self.conv(r + ".conv_cat.2", x, padding=1)))
        x = self._save(r + ".sdft", self.sdft(r + ".SDFT", x, style))
        return self._save(r, x + x1_s)

    def refiner(self, rgb, ex):
        style = self.guide(ex)
        blocks = []
        x = rgb
        for b in range(1, 6):
            x = self.vgg_block(b, x)
            blocks.append(x)
        x = self._save("refiner.bottleneck", self.F.max_pool2d(x, 2, 2))
        x = self._save("refiner.conv_bottleneck", self.double_conv("refiner.conv_bottleneck", x))
        for n in range(1, 6):
            x = self.up(n, x, blocks[5 - n], style)
        y = self._save("refiner.conv11", self.conv("refiner.conv11", x))
        return self._save("refiner.out", self.torch.tanh(y))

    # -- whole pipeline -------------------------------------------------------------
    def forward(self, rgb):
        """rgb: float64 tensor (1,3,H,W) in [0,1].  Returns (normals, exemplar), (1,3,H,W)."""
        self._save("input", rgb)
        out = self.coarse(rgb)
        n = self.l2_normalise(out)
        ex = self._save("exemplar", self.torch.cat([n[:, 1:2], -n[:, 0:1], n[:, 2:3]], dim=1))
        normals = self._save("normals", self.l2_normalise(self.refiner(rgb, ex)))
        return normals, ex


def run(model_path, rgb_chw, dump=False):
    """Convenience API: returns (normals (H,W,3), exemplar (H,W,3), dumps dict of
    name -> float64 numpy (C,H,W)) for an RGB float array (3,H,W) in [0,1]."""
    import torch
    w, eps, params = load_model(model_path)
    dumps = {} if dump else None
    net = Net(w, eps, params, dumps)
    with torch.no_grad():
        x = torch.from_numpy(np.asarray(rgb_chw, dtype=np.float64))[None]
        normals, ex = net.forward(x)
    to_hwc = lambda t: t[0].numpy().transpose(1, 2, 0)  # noqa: E731
    d = {k: v[0].numpy() for k, v in dumps.items()} if dumps is not None else None
    return to_hwc(normals), to_hwc(ex), d


def graph_name(name):
    """fnrt's graph layer name for a dump name of Net (see the module docstring)."""
    fixed = {"coarse.input": "coarse.gray", "refiner.bottleneck": "refiner.pool5",
             "refiner.conv_bottleneck": "refiner.bottleneck"}
    if name in fixed:
        return fixed[name]
    parts = name.split(".")
    if len(parts) == 2 and parts[0] == "guide" and parts[1] in ("conv1", "conv2", "conv3"):
        return name + ".1.3"
    if len(parts) == 3 and parts[0] == "refiner" and parts[1].startswith("up"):
        if parts[2] == "conv_cat":
            return name + ".2"
        if parts[2] == "modulation":
            return "refiner.%s.style" % parts[1]
    return name


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Float64 PyTorch reference of FNR2R on one 256x256 image.",
        epilog="See the module docstring for the --dump tensor names.")
    ap.add_argument("-m", "--model", required=True, help="fnrt .safetensors model")
    ap.add_argument("--input", required=True, help="256x256 PNG (read as RGB / 255)")
    ap.add_argument("--normals", required=True, help="output .npy, float32 (H,W,3)")
    ap.add_argument("--exemplar", help="also write the exemplar normals, float32 (H,W,3)")
    ap.add_argument("--dump", metavar="DIR", help="write every intermediate as DIR/<name>.npy")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(2)
    try:
        rgb = load_image(args.input)
        normals, ex, dumps = run(args.model, rgb, dump=bool(args.dump))
    except RefError as e:
        print("reference: %s" % e, file=sys.stderr)
        return 2
    try:
        save_npy(args.normals, normals)
        if args.exemplar:
            save_npy(args.exemplar, ex)
        if args.dump:
            save_dumps(args.dump, dumps, graph_name)
    except OSError as e:
        print("reference: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
