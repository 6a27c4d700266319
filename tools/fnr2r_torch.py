"""FNR2R as trainable PyTorch modules (used by tools/train.py).

The parameter names are exactly the published ones, so state_dict() of
  CoarseNet(d)            == the published UShapedNet(inputdim=1, d) checkpoint keys
  Refiner(widths)         == the published VGGUnetN256 checkpoint keys (with the
                             encoder.* duplicates of the VGG13-BN features)
and tools/fnrt-convert.py converts torch.save(coarse.state_dict()) and
torch.save({"model": refiner.state_dict()}) directly.

The forward passes follow the network as fnrt runs it (tools/reference.py):

Coarse net (input gray = mean(R,G,B) in [0,1], 256x256; all convs 4x4 stride 2 pad 1):
  e1 = conv1(x); eN = convN_bn(convN(leaky0.2(e_{N-1}))) N=2..7; e8 = conv8(leaky(e7))
  d1 = cat(deconv1_bn(deconv1(relu(e8))), e7)
  dN = cat(deconvN_bn(deconvN(relu(d_{N-1}))), e_{8-N})  N=2..7
  out = tanh(deconv8(relu(d7)))
  No dropout: the published test-time dropout is replaced by the identity in fnrt, so
  the graph trained here is the graph that runs.
  exemplar = L2normalise(out) with (x, y, z) -> (y, -x, z)      (exemplar_from_coarse)

Refiner (rgb in [0,1], exemplar):
  style = toplayer(avgpool(NormFeat convs(exemplar)))          (B, S, 1, 1)
  VGG13-BN stages block1..block5 (block2..5 start with a 2x2 max pool), bottleneck =
  maxpool(block5) -> conv_bottleneck (double conv+BN+ReLU), then 5 up blocks:
    xc1 = bilinear x2 (align_corners=False); x1_s = conv_s(xc1)
    x = leaky(conv_cat.2(leaky(conv_cat.0(cat[xc1, skip[:, ::4]]))))
    x = SDFT(x, style) + x1_s
  out = tanh(conv11(x)); normals = L2normalise(out).
  SDFT: a modulated 3x3 conv (StyleGAN2 style): s = modulation(style) (one value per
  input channel), w' = W * s / sqrt(C*9), demodulated per output channel by
  rsqrt(sum w'^2 + 1e-8), no bias.  Implemented for a batch as
  demod * conv(x * s / sqrt(C*9), W), which is the same function.

Widths: Widths(coarse_d, (v1..v5), guide, style) from tools/fnr2r_layout.py; the up
blocks output v4, v3, v2, v1, v1.  WIDTH_PRESETS has "full", "quarter" and "tiny".

Works with torch 1.13 and 2.x; nothing here depends on the device.
"""

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnr2r_layout as layout  # noqa: E402

WIDTH_PRESETS = {
    "full": layout.FULL,
    "quarter": layout.Widths(16, (16, 32, 64, 128, 128), 16, 64),
    "tiny": layout.TINY,
}

NORM_EPS = 1e-12
DEMOD_EPS = 1e-8


def l2_normalise(x, eps=NORM_EPS):
    """Per-pixel L2 normalisation over dim 1 (as fnrt: x / max(||x||, eps))."""
    n = torch.sqrt((x * x).sum(dim=1, keepdim=True))
    return x / torch.clamp(n, min=eps)


def exemplar_from_coarse(out):
    """Coarse tanh output (B,3,H,W) -> exemplar normals: normalise, (x,y,z)->(y,-x,z)."""
    n = l2_normalise(out)
    return torch.cat([n[:, 1:2], -n[:, 0:1], n[:, 2:3]], dim=1)


def coarse_target_from_normals(n):
    """Camera-frame normals -> the coarse net's frame (inverse of the exemplar swizzle):
    (x, y, z) -> (-y, x, z)."""
    return torch.cat([-n[:, 1:2], n[:, 0:1], n[:, 2:3]], dim=1)


# ----------------------------------------------------------------------------- coarse

class CoarseNet(nn.Module):
    """UShapedNet(inputdim=1, d) without dropout.  Input (B,1,256,256), output the
    tanh map (B,3,256,256) in the coarse frame."""

    def __init__(self, d):
        super().__init__()
        self.d = d
        e = layout.coarse_widths(d)
        cin = 1
        # Registration order = published state_dict order (conv1, conv2, conv2_bn, ...).
        for n in range(1, 9):
            setattr(self, "conv%d" % n, nn.Conv2d(cin, e[n - 1], 4, 2, 1))
            if 2 <= n <= 7:
                setattr(self, "conv%d_bn" % n, nn.BatchNorm2d(e[n - 1]))
            cin = e[n - 1]
        for n, (ci, co) in enumerate(layout.coarse_deconv_channels(d), start=1):
            setattr(self, "deconv%d" % n, nn.ConvTranspose2d(ci, co, 4, 2, 1))
            if n <= 7:
                setattr(self, "deconv%d_bn" % n, nn.BatchNorm2d(co))

    def forward(self, gray):
        e = [self.conv1(gray)]
        for n in range(2, 9):
            y = getattr(self, "conv%d" % n)(F.leaky_relu(e[-1], 0.2))
            if n <= 7:
                y = getattr(self, "conv%d_bn" % n)(y)
            e.append(y)
        d = e[7]
        for n in range(1, 8):
            y = getattr(self, "deconv%d_bn" % n)(getattr(self, "deconv%d" % n)(F.relu(d)))
            d = torch.cat([y, e[7 - n]], dim=1)
        return torch.tanh(self.deconv8(F.relu(d)))


# ----------------------------------------------------------------------------- refiner

def _double_conv(cin, cout):
    """conv3x3, BN, ReLU, conv3x3, BN, ReLU (indices 0,1,2,3,4,5)."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ConvBlock(nn.Module):
    """Conv followed by ReLU, with the conv at "main.0" (published Conv2dBlock naming)."""

    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.main(x)


class NormFeat(nn.Module):
    """Guide encoder: exemplar (B,3,H,W) -> style (B,S,1,1)."""

    def __init__(self, g, s):
        super().__init__()
        self.conv0 = nn.Sequential(ConvBlock(3, g, 3, 1, 1), ConvBlock(g, g, 3, 1, 1))
        for k in (1, 2, 3):
            setattr(self, "conv%d" % k, nn.Sequential(ConvBlock(g, g, 5, 2, 2), _double_conv(g, g)))
        self.toplayer = nn.Conv2d(g, s, 1)

    def forward(self, ex):
        x = self.conv3(self.conv2(self.conv1(self.conv0(ex))))
        return self.toplayer(x.mean(dim=(2, 3), keepdim=True))


class SDFT(nn.Module):
    """Style-modulated, demodulated 3x3 conv C -> C without bias."""

    def __init__(self, c, s):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, c, c, 3, 3))
        self.modulation = nn.Conv2d(s, c, 1)
        nn.init.ones_(self.modulation.bias)  # s ~ 1 at the start (StyleGAN2 practice)

    def forward(self, x, style):
        w = self.weight[0]                                   # (Cout, Cin, 3, 3)
        c = w.shape[1]
        k = 1.0 / math.sqrt(c * w.shape[2] * w.shape[3])
        s = self.modulation(style)                           # (B, Cin, 1, 1)
        # demod[b, o] = rsqrt(k^2 * sum_i s[b,i]^2 * sum_kk W[o,i]^2 + eps), computed in
        # at least float32 (elementwise ops: autocast leaves them alone)
        dt = torch.promote_types(w.dtype, torch.float32)
        wsq = (w.to(dt) ** 2).sum(dim=(2, 3))                # (Cout, Cin)
        s2 = s.to(dt).flatten(1) ** 2                        # (B, Cin)
        demod = torch.rsqrt((s2[:, None, :] * wsq[None]).sum(dim=2) * (k * k) + DEMOD_EPS)
        if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
            w = w.contiguous(memory_format=torch.channels_last)
        y = F.conv2d(x * (s * k).to(x.dtype), w, None, padding=1)
        return y * demod.to(y.dtype)[:, :, None, None]


class UpBlock(nn.Module):
    def __init__(self, cx, cskip, cout, s):
        super().__init__()
        self.conv_cat = nn.Sequential(nn.Conv2d(cx + layout.skip_sub(cskip), cout, 1),
                                      nn.LeakyReLU(0.2, inplace=True),
                                      nn.Conv2d(cout, cout, 3, 1, 1),
                                      nn.LeakyReLU(0.2, inplace=True))
        self.conv_s = nn.Conv2d(cx, cout, 1)
        self.SDFT = SDFT(cout, s)

    def forward(self, x1, skip, style):
        xc1 = F.interpolate(x1, scale_factor=2, mode="bilinear", align_corners=False)
        x1_s = self.conv_s(xc1)
        x = self.conv_cat(torch.cat([xc1, skip[:, ::4]], dim=1))
        return self.SDFT(x, style) + x1_s


def _vgg13_bn_features(v):
    layers = []
    cin = 3
    for b in range(5):
        for _ in range(2):
            layers += [nn.Conv2d(cin, v[b], 3, 1, 1), nn.BatchNorm2d(v[b]), nn.ReLU(inplace=True)]
            cin = v[b]
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


class Refiner(nn.Module):
    """VGGUnetN256: (rgb (B,3,256,256) in [0,1], exemplar (B,3,256,256)) -> tanh map
    (B,3,256,256), camera frame (normalise with l2_normalise)."""

    def __init__(self, w):
        super().__init__()
        self.widths = w
        v = w.vgg
        self.encoder = _vgg13_bn_features(v)
        # Views sharing the encoder's modules, renumbered from 0 (block2.1 = encoder.7):
        # state_dict holds both names, the optimizer sees each parameter once.
        feats = list(self.encoder)
        ends = layout.BLOCK_START[1:] + (layout.BLOCK_START[4] + 7,)
        for b in range(5):
            setattr(self, "block%d" % (b + 1),
                    nn.Sequential(*feats[layout.BLOCK_START[b]:ends[b]]))
        self.conv_bottleneck = _double_conv(v[4], v[4])
        self.NormFeat = NormFeat(w.guide, w.style)
        for n, (cx, cs, co) in enumerate(layout.up_channels(w), start=1):
            setattr(self, "up%d" % n, UpBlock(cx, cs, co, w.style))
        self.conv11 = nn.Conv2d(w.up_outs[4], 3, 1)

    def forward(self, rgb, ex):
        style = self.NormFeat(ex)
        skips = []
        x = rgb
        for b in (self.block1, self.block2, self.block3, self.block4, self.block5):
            x = b(x)
            skips.append(x)
        x = self.conv_bottleneck(F.max_pool2d(x, 2, 2))
        for n in range(1, 6):
            x = getattr(self, "up%d" % n)(x, skips[5 - n], style)
        return torch.tanh(self.conv11(x))


class FNR2R(nn.Module):
    """Both stages; forward(rgb) -> (normals, exemplar), as fnrt infers."""

    def __init__(self, w):
        super().__init__()
        self.coarse = CoarseNet(w.coarse_d)
        self.refiner = Refiner(w)

    def forward(self, rgb):
        ex = exemplar_from_coarse(self.coarse(rgb.mean(dim=1, keepdim=True)))
        return l2_normalise(self.refiner(rgb, ex)), ex


def count_parameters(module):
    """Distinct parameters (the encoder/block views are counted once)."""
    return sum(p.numel() for p in module.parameters())


def check_names(w):
    """Verifies state_dict keys and shapes against tools/fnr2r_layout.py (published
    names, with encoder.* and num_batches_tracked); returns a list of problems."""
    c = CoarseNet(w.coarse_d).state_dict()
    r = Refiner(w).state_dict()
    return (layout.check_shapes({k: tuple(v.shape) for k, v in c.items()},
                                layout.coarse_specs(w.coarse_d, published=True), "coarse: ") +
            layout.check_shapes({k: tuple(v.shape) for k, v in r.items()},
                                layout.refiner_specs(w, published=True), "refiner: "))


if __name__ == "__main__":
    for name, w in WIDTH_PRESETS.items():
        probs = check_names(w)
        m = FNR2R(w)
        print("%-8s %s: %d parameters (%.1f MB F32), names %s"
              % (name, w.describe(), count_parameters(m), count_parameters(m) * 4 / 1e6,
                 "ok" if not probs else "BAD: " + "; ".join(probs[:5])))
