#!/usr/bin/env python3
"""Independent float64 PyTorch reference of the cross-modal face-normal network
(Abrevaya et al., CVPR 2020), reading an fnrt model file.

  python3 tools/reference_crossmodal.py -m MODEL.safetensors --input IMG.png
      --normals OUT.npy [--mode image|normal-ae] [--dump DIR]

Written from the network description with torch.nn.functional only (neither the published
classes nor fnrt's C code).  Weights are read with tools/safetensors_io.py (F32/F16/BF16),
everything runs in float64.  The input PNG (256x256) is read with PIL as RGB / 255:
  --mode image      an RGB face photo, fed as is (no mean/std normalisation)
  --mode normal-ae  a normal map stored as v = (n+1)/2; decoded to n = 2v - 1, encoded by the
                    normal encoder (layer0_2 .. layer4_2) and decoded by the same normal decoder
                    with every skip connection deactivated (no max-merge at all)
Output: float32 (H, W, 3) unit normals, the last conv's output L2-normalised per pixel
(x / max(|x|, 1e-12)).

--dump DIR writes every intermediate as DIR/<name>.npy, float32 (C, H, W):
  input, [normal_decode], layer0[_2] (stem conv+bn+relu), layer1[_2].0 (max-pool),
  <block> and <block>.conv1 / .conv2 / .downsample for every BasicBlock (e.g. layer2.0,
  layer1_2.1.1), conv_original_size0/1 (image mode), layer4_1x1, upN, layerN_1x1 and mergeN
  (image mode), conv_upN (N = 3..0), up_original, merge_original (image mode),
  conv_original_size2, conv_last, normals.
Each name is the layer name of fnrt's graph (host/src/core/crossmodal.c: the same op
boundaries, conv+BN+ReLU fused as one layer), so `fnrt diff -m MODEL [--mode M] --dump D`
and `reference_crossmodal.py [--mode M] --dump D/torch` can be compared file by file (D/A
and D/torch hold the same names; tests/test_diag.sh checks it).

Exit status: 0 ok, 2 bad arguments / input / model, 1 other errors.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crossmodal_layout as layout  # noqa: E402
from reference_common import (IMAGE_SIZE, RefError, TorchNet, load_fnrt_model,  # noqa: E402,F401
                              load_image, save_dumps, save_npy)


def _widths(path, shapes, meta):
    w = layout.infer_widths(shapes)
    if "resnet_widths" in meta and layout.widths_from_metadata(meta) != w:
        raise RefError("%s: metadata widths disagree with the tensor shapes (%s)"
                       % (path, w.describe()))
    return w


def load_model(path):
    """Reads an fnrt crossmodal file; returns (widths, bn_eps, dict name -> float64 tensor)."""
    return load_fnrt_model(path, layout.ARCHITECTURE, layout, _widths)


class Net(TorchNet):
    """Forward pass on one image (batch of 1), float64."""

    # -- primitives -------------------------------------------------------------------
    def conv(self, name, x, stride=1, padding=0):
        return self.F.conv2d(x, self.p[name + ".weight"], self.p.get(name + ".bias"),
                             stride=stride, padding=padding)

    def bn(self, name, x):
        p = self.p
        return self.F.batch_norm(x, p[name + ".running_mean"], p[name + ".running_var"],
                                 p[name + ".weight"], p[name + ".bias"], training=False,
                                 eps=self.eps)

    def up2(self, x):
        return self.F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)

    @staticmethod
    def merge(x, skip):
        """Keep the first C - Cs channels, element-wise max of the rest with the skip."""
        import torch
        k = x.shape[1] - skip.shape[1]
        assert k >= 0
        return torch.cat([x[:, :k], torch.maximum(x[:, k:], skip)], dim=1)

    # -- encoder ------------------------------------------------------------------------
    def block(self, prefix, x, stride):
        y = self.conv(prefix + ".conv1", x, stride, 1)
        y = self._save(prefix + ".conv1", self.relu(self.bn(prefix + ".bn1", y)))
        y = self.conv(prefix + ".conv2", y, 1, 1)
        y = self._save(prefix + ".conv2", self.bn(prefix + ".bn2", y))
        if prefix + ".downsample.0.weight" in self.p:
            s = self.bn(prefix + ".downsample.1", self.conv(prefix + ".downsample.0", x, stride, 0))
            s = self._save(prefix + ".downsample", s)
        else:
            s = x
        return self._save(prefix, self.relu(y + s))

    def encoder(self, x, suffix):
        feats = []
        x = self.relu(self.bn("layer0%s.1" % suffix, self.conv("layer0%s.0" % suffix, x, 2, 3)))
        feats.append(self._save("layer0" + suffix, x))
        x = self._save("layer1%s.0" % suffix, self.F.max_pool2d(x, 3, 2, 1))
        for n in range(1, 5):
            for b in range(self.w.blocks[n - 1]):
                x = self.block("%s.%d" % (layout.stage_prefix(n, suffix), b), x,
                               2 if (n > 1 and b == 0) else 1)
            feats.append(x)
        return feats

    # -- decoder ------------------------------------------------------------------------
    def decoder(self, layer4, skips=None, fullres=None):
        x = self._save("layer4_1x1", self.relu(self.conv("layer4_1x1.0", layer4)))
        for n in (3, 2, 1, 0):
            x = self._save("up%d" % n, self.up2(x))
            if skips is not None:
                s = self.relu(self.conv("layer%d_1x1.0" % n, skips[n]))
                s = self._save("layer%d_1x1" % n, s)
                x = self._save("merge%d" % n, self.merge(x, s))
            x = self._save("conv_up%d" % n, self.relu(self.conv("conv_up%d.0" % n, x, 1, 1)))
        x = self._save("up_original", self.up2(x))
        if skips is not None:
            x = self._save("merge_original", self.merge(x, fullres))
        x = self.relu(self.conv("conv_original_size2.0", x, 1, 1))
        x = self._save("conv_original_size2", x)
        return self._save("conv_last", self.conv("conv_last", x))

    def forward(self, x, mode):
        """x: float64 (1,3,H,W) in [0,1].  Returns unit normals (1,3,H,W)."""
        self._save("input", x)
        if mode == "image":
            f = self.relu(self.conv("conv_original_size0.0", x, 1, 1))
            f = self._save("conv_original_size0", f)
            f = self.relu(self.conv("conv_original_size1.0", f, 1, 1))
            f = self._save("conv_original_size1", f)
            feats = self.encoder(x, "")
            out = self.decoder(feats[4], feats, f)
        elif mode == "normal-ae":
            n = self._save("normal_decode", 2.0 * x - 1.0)
            feats = self.encoder(n, "_2")
            out = self.decoder(feats[4])
        else:
            raise RefError("unknown mode %r (modes: %s)" % (mode, ", ".join(layout.MODES)))
        return self._save("normals", self.l2_normalise(out))


def run(model_path, chw, mode="image", dump=False):
    """Returns (normals (H,W,3) float64, dumps dict name -> (C,H,W) or None) for an input
    array (3,H,W) in [0,1]."""
    import torch
    w, eps, params = load_model(model_path)
    dumps = {} if dump else None
    net = Net(w, eps, params, dumps)
    with torch.no_grad():
        x = torch.from_numpy(np.asarray(chw, dtype=np.float64))[None]
        normals = net.forward(x, mode)
    d = {k: v[0].numpy() for k, v in dumps.items()} if dumps is not None else None
    return normals[0].numpy().transpose(1, 2, 0), d


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Float64 PyTorch reference of the cross-modal network on one 256x256 PNG.",
        epilog="See the module docstring for the --dump tensor names.")
    ap.add_argument("-m", "--model", required=True, help="fnrt crossmodal .safetensors model")
    ap.add_argument("--input", required=True,
                    help="256x256 PNG: a face photo (image mode) or a normal map (normal-ae)")
    ap.add_argument("--normals", required=True, help="output .npy, float32 (H,W,3)")
    ap.add_argument("--mode", choices=layout.MODES, default="image")
    ap.add_argument("--dump", metavar="DIR", help="write every intermediate as DIR/<name>.npy")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(2)
    try:
        x = load_image(args.input)
        normals, dumps = run(args.model, x, args.mode, dump=bool(args.dump))
    except RefError as e:
        print("reference_crossmodal: %s" % e, file=sys.stderr)
        return 2
    try:
        save_npy(args.normals, normals)
        if args.dump:
            save_dumps(args.dump, dumps)
    except OSError as e:
        print("reference_crossmodal: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
