"""FNR2R tensor layout: the one place that knows tensor names and shapes.

Pure Python (no numpy/torch), shared by fnrt-convert.py, random-model.py,
reference.py and make-golden.py.

Two naming levels:
  * published names: the state_dict keys of the published classes UShapedNet(inputdim=1,
    d) (coarse net) and VGGUnetN256 (refiner, VGG13-BN features), e.g. "conv2_bn.weight",
    "block2.1.weight", "up3.SDFT.modulation.bias".  The published refiner state_dict
    additionally holds every VGG feature tensor a second time as "encoder.<i>.*"
    (torchvision features index) and every BatchNorm has "num_batches_tracked".
  * fnrt names: "coarse.<published>" and "refiner.<published>" without the encoder.*
    duplicates and without num_batches_tracked (BatchNorm kept unfolded).

Widths (read from tensor shapes, see infer_widths):
  coarse_d  d       coarse widths d,2d,4d,8d,8d,8d,8d,8d
  vgg       v1..v5  VGG13-BN stage widths (full: 64,128,256,512,512)
  guide     g       NormFeat width (full: 64)
  style     S       style vector size (full: 256)
  up outs   o1..o5 = v4,v3,v2,v1,v1; the bottleneck double_conv keeps v5.
"""

import math
from collections import namedtuple

BN_SUFFIXES = ("weight", "bias", "running_mean", "running_var")
NBT = "num_batches_tracked"

# kind: conv    weight [Cout, Cin, kh, kw]        deconv  weight [Cin, Cout, kh, kw]
#       bias    [C]                               bn.weight / bn.bias / bn.mean / bn.var  [C]
#       bn.count  num_batches_tracked, shape []   (published only)
#       sdft.weight [1, C, C, 3, 3]                mod.weight [C, S, 1, 1]   mod.bias [C]
# gain: for weights only, the He-style gain of the nonlinearity that follows the layer
#       (used by random-model.py for initialisation; None elsewhere).
TensorSpec = namedtuple("TensorSpec", "name shape kind gain")

GAIN_RELU = math.sqrt(2.0)
GAIN_LEAKY = math.sqrt(2.0 / (1.0 + 0.2 ** 2))
GAIN_LINEAR = 1.0


class Widths(namedtuple("Widths", "coarse_d vgg guide style")):
    """FNR2R widths.  vgg is a 5-tuple."""

    @property
    def up_outs(self):
        v = self.vgg
        return (v[3], v[2], v[1], v[0], v[0])

    def metadata(self):
        return {
            "coarse_d": str(self.coarse_d),
            "vgg_widths": ",".join(str(x) for x in self.vgg),
            "guide_width": str(self.guide),
            "style_dim": str(self.style),
        }

    def describe(self):
        return "coarse_d=%d vgg=%s guide=%d style=%d" % (
            self.coarse_d, ",".join(map(str, self.vgg)), self.guide, self.style)


FULL = Widths(64, (64, 128, 256, 512, 512), 64, 256)
TINY = Widths(8, (8, 16, 32, 64, 64), 8, 32)


class LayoutError(Exception):
    """Missing or misshaped tensor / inconsistent widths."""


def parse_widths(coarse_d, vgg, guide, style):
    """Builds Widths from ints / a comma separated vgg string; checks positivity."""
    if isinstance(vgg, str):
        try:
            vgg = tuple(int(x) for x in vgg.split(","))
        except ValueError:
            raise LayoutError("vgg widths must be 5 comma separated integers, got %r" % vgg)
    vgg = tuple(int(x) for x in vgg)
    if len(vgg) != 5:
        raise LayoutError("vgg widths must have 5 entries, got %d" % len(vgg))
    w = Widths(int(coarse_d), vgg, int(guide), int(style))
    if min((w.coarse_d, w.guide, w.style) + w.vgg) <= 0:
        raise LayoutError("widths must be positive: %s" % w.describe())
    return w


def widths_from_metadata(meta):
    try:
        return parse_widths(meta["coarse_d"], meta["vgg_widths"], meta["guide_width"],
                            meta["style_dim"])
    except KeyError as e:
        raise LayoutError("metadata lacks %s" % e)
    except ValueError as e:
        raise LayoutError("bad width in metadata: %s" % e)


# ----------------------------------------------------------------------------- helpers

def _conv(out, name, co, ci, k, gain, bias=True):
    out.append(TensorSpec(name + ".weight", (co, ci, k, k), "conv", gain))
    if bias:
        out.append(TensorSpec(name + ".bias", (co,), "bias", None))


def _deconv(out, name, ci, co, k, gain):
    out.append(TensorSpec(name + ".weight", (ci, co, k, k), "deconv", gain))
    out.append(TensorSpec(name + ".bias", (co,), "bias", None))


def _bn(out, name, c, published):
    kinds = ("bn.weight", "bn.bias", "bn.mean", "bn.var")
    for suffix, kind in zip(BN_SUFFIXES, kinds):
        out.append(TensorSpec(name + "." + suffix, (c,), kind, None))
    if published:
        out.append(TensorSpec(name + "." + NBT, (), "bn.count", None))


# ----------------------------------------------------------------------------- coarse

def coarse_widths(d):
    """Encoder output widths e1..e8 of the coarse net."""
    return (d, 2 * d, 4 * d, 8 * d, 8 * d, 8 * d, 8 * d, 8 * d)


def coarse_deconv_channels(d):
    """(Cin, Cout) of deconv1..deconv8."""
    e = coarse_widths(d)
    outs = (8 * d, 8 * d, 8 * d, 8 * d, 4 * d, 2 * d, d, 3)
    ins = [e[7]] + [outs[n - 1] + e[7 - n] for n in range(1, 8)]
    return tuple(zip(ins, outs))


def coarse_specs(d, published=False):
    """Tensor specs of UShapedNet(inputdim=1, d), published names, state_dict order."""
    out = []
    e = coarse_widths(d)
    cin = 1
    for n in range(1, 9):
        _conv(out, "conv%d" % n, e[n - 1], cin, 4, GAIN_LEAKY)
        if 2 <= n <= 7:
            _bn(out, "conv%d_bn" % n, e[n - 1], published)
        cin = e[n - 1]
    for n, (ci, co) in enumerate(coarse_deconv_channels(d), start=1):
        _deconv(out, "deconv%d" % n, ci, co, 4, GAIN_LINEAR if n == 8 else GAIN_RELU)
        if n <= 7:
            _bn(out, "deconv%d_bn" % n, co, published)
    return out


# ----------------------------------------------------------------------------- refiner

# VGG13-BN features: (block, conv index inside the block view, bn index) for the two
# convs of each block; the block view of block b starts at features index BLOCK_START[b].
BLOCK_START = (0, 6, 13, 20, 27)
BLOCK_CONVS = {1: ((0, 1), (3, 4)), 2: ((1, 2), (4, 5)), 3: ((1, 2), (4, 5)),
               4: ((1, 2), (4, 5)), 5: ((1, 2), (4, 5))}


def vgg_views():
    """[(encoder module prefix, block view module prefix, "conv"|"bn")] for all VGG
    layers with parameters, e.g. ("encoder.7", "block2.1", "conv")."""
    views = []
    for b in range(1, 6):
        for conv_i, bn_i in BLOCK_CONVS[b]:
            for idx, kind in ((conv_i, "conv"), (bn_i, "bn")):
                views.append(("encoder.%d" % (BLOCK_START[b - 1] + idx),
                              "block%d.%d" % (b, idx), kind))
    return views


def encoder_to_view(name):
    """'encoder.7.weight' -> 'block2.1.weight'; None if not a VGG parameter name."""
    for enc, view, _ in vgg_views():
        if name.startswith(enc + "."):
            return view + name[len(enc):]
    return None


def up_channels(w):
    """[(x1 channels, skip channels, out channels)] for up1..up5."""
    v, o = w.vgg, w.up_outs
    x1 = (v[4], o[0], o[1], o[2], o[3])
    skip = (v[4], v[3], v[2], v[1], v[0])
    return list(zip(x1, skip, o))


def skip_sub(c):
    """Channels kept by skip[:, ::4]."""
    return (c + 3) // 4


def refiner_specs(w, published=False):
    """Tensor specs of VGGUnetN256 at widths w, published names, state_dict order.
    published=True adds the encoder.* duplicates and num_batches_tracked."""
    out = []
    v, g, s = w.vgg, w.guide, w.style
    blocks = []
    cin = 3
    for b in range(1, 6):
        part = []
        for j, (conv_i, bn_i) in enumerate(BLOCK_CONVS[b]):
            _conv(part, "block%d.%d" % (b, conv_i), v[b - 1], cin if j == 0 else v[b - 1], 3,
                  GAIN_RELU)
            _bn(part, "block%d.%d" % (b, bn_i), v[b - 1], published)
            cin = v[b - 1]
        blocks.extend(part)
    if published:
        for t in blocks:
            for enc, view, _ in vgg_views():
                if t.name.startswith(view + "."):
                    out.append(t._replace(name=enc + t.name[len(view):]))
    out.extend(blocks)

    _conv(out, "conv_bottleneck.0", v[4], v[4], 3, GAIN_RELU)
    _bn(out, "conv_bottleneck.1", v[4], published)
    _conv(out, "conv_bottleneck.3", v[4], v[4], 3, GAIN_RELU)
    _bn(out, "conv_bottleneck.4", v[4], published)

    _conv(out, "NormFeat.conv0.0.main.0", g, 3, 3, GAIN_RELU)
    _conv(out, "NormFeat.conv0.1.main.0", g, g, 3, GAIN_RELU)
    for k in (1, 2, 3):
        p = "NormFeat.conv%d" % k
        _conv(out, p + ".0.main.0", g, g, 5, GAIN_RELU)
        _conv(out, p + ".1.0", g, g, 3, GAIN_RELU)
        _bn(out, p + ".1.1", g, published)
        _conv(out, p + ".1.3", g, g, 3, GAIN_RELU)
        _bn(out, p + ".1.4", g, published)
    _conv(out, "NormFeat.toplayer", s, g, 1, GAIN_LINEAR)

    for n, (cx, cs, co) in enumerate(up_channels(w), start=1):
        p = "up%d" % n
        _conv(out, p + ".conv_cat.0", co, cx + skip_sub(cs), 1, GAIN_LEAKY)
        _conv(out, p + ".conv_cat.2", co, co, 3, GAIN_LEAKY)
        _conv(out, p + ".conv_s", co, cx, 1, GAIN_LINEAR)
        out.append(TensorSpec(p + ".SDFT.weight", (1, co, co, 3, 3), "sdft.weight", None))
        out.append(TensorSpec(p + ".SDFT.modulation.weight", (co, s, 1, 1), "mod.weight", None))
        out.append(TensorSpec(p + ".SDFT.modulation.bias", (co,), "mod.bias", None))
    _conv(out, "conv11", 3, w.up_outs[4], 1, GAIN_LINEAR)
    return out


# ----------------------------------------------------------------------------- whole model

COARSE_PREFIX = "coarse."
REFINER_PREFIX = "refiner."


def model_specs(w):
    """Tensor specs of an fnrt model file (prefixed names, fnrt order)."""
    return ([t._replace(name=COARSE_PREFIX + t.name) for t in coarse_specs(w.coarse_d)] +
            [t._replace(name=REFINER_PREFIX + t.name) for t in refiner_specs(w)])


def _dim(shapes, name, axis, rank, where):
    if name not in shapes:
        raise LayoutError("%smissing tensor %s (needed to infer the widths)" % (where, name))
    shape = tuple(shapes[name])
    if len(shape) != rank:
        raise LayoutError("%stensor %s has shape %s, expected rank %d"
                          % (where, name, list(shape), rank))
    return shape[axis]


def infer_widths(coarse_shapes, refiner_shapes, where_coarse="coarse: ",
                 where_refiner="refiner: "):
    """Widths from tensor shapes (dicts of published name -> shape)."""
    d = _dim(coarse_shapes, "conv1.weight", 0, 4, where_coarse)
    vgg = [_dim(refiner_shapes, "block1.0.weight", 0, 4, where_refiner)]
    for b in range(2, 6):
        vgg.append(_dim(refiner_shapes, "block%d.1.weight" % b, 0, 4, where_refiner))
    g = _dim(refiner_shapes, "NormFeat.conv0.0.main.0.weight", 0, 4, where_refiner)
    s = _dim(refiner_shapes, "NormFeat.toplayer.weight", 0, 4, where_refiner)
    return parse_widths(d, vgg, g, s)


def infer_widths_fnrt(shapes):
    """Widths from the shapes of an fnrt model file (prefixed names)."""
    c = {k[len(COARSE_PREFIX):]: v for k, v in shapes.items() if k.startswith(COARSE_PREFIX)}
    r = {k[len(REFINER_PREFIX):]: v for k, v in shapes.items() if k.startswith(REFINER_PREFIX)}
    return infer_widths(c, r, COARSE_PREFIX, REFINER_PREFIX)


def check_shapes(shapes, specs, where="", allow_extra=False):
    """Compares a dict name -> shape with specs; returns a list of problem strings
    (missing tensors, wrong shapes, unexpected tensors), empty if all is well."""
    problems = []
    expected = set()
    for t in specs:
        expected.add(t.name)
        if t.name not in shapes:
            problems.append("%smissing tensor %s (expected shape %s)" % (where, t.name, list(t.shape)))
        elif tuple(shapes[t.name]) != tuple(t.shape):
            problems.append("%stensor %s has shape %s, expected %s"
                            % (where, t.name, list(shapes[t.name]), list(t.shape)))
    if not allow_extra:
        for name in shapes:
            if name not in expected:
                problems.append("%sunexpected tensor %s (shape %s)" % (where, name, list(shapes[name])))
    return problems


def param_count(specs):
    n = 0
    for t in specs:
        c = 1
        for s in t.shape:
            c *= s
        n += c
    return n
