"""Cross-modal face-normal network (Abrevaya et al., CVPR 2020): tensor names and shapes.

Pure Python (no numpy/torch), the one place in tools/ that knows this layout; shared by
fnrt-convert.py (--crossmodal), random-model.py (--architecture crossmodal),
reference_crossmodal.py and make-golden-crossmodal.py.

Published names are the state_dict keys of the authors' ResNetUNet (model.pth):
  image encoder   torchvision ResNet-18 children regrouped:
                  layer0   = Sequential(conv1, bn1, relu)     layer0.0.weight, layer0.1.*
                  layer1   = Sequential(maxpool, layer1)      layer1.1.<b>.conv1.weight, ...
                  layer2..4 = the ResNet stages               layer2.<b>.conv1.weight, ...,
                                                              layer2.0.downsample.{0,1}.*
                  The same modules are also held by base_model (the whole ResNet, fc
                  included), so every encoder tensor appears a second time as
                  base_model.{conv1,bn1,layer1..4}.* and base_model.fc.* is unused.
  projections     layerN_1x1.0.{weight,bias} (1x1 conv + ReLU), N = 0..4
  normal decoder  conv_up3..0.0.{weight,bias} (3x3 + ReLU), conv_original_size2.0.*,
                  conv_last.{weight,bias} (1x1)
  full-res branch conv_original_size0.0.*, conv_original_size1.0.*
  normal encoder  layer0_2 .. layer4_2: a copy of the image encoder (same structure)
  image decoder   conv_up3_2 .. conv_up0_2, conv_original_size0_2 .. 2_2, conv_last_2:
                  not used by image -> normals nor by the normal autoencoder path; the
                  converter drops them (and conv_original_size0_2/1_2, which the published
                  normal path computes but never uses).
  Every BatchNorm also has num_batches_tracked.

fnrt names (an fnrt crossmodal model file) are the published names of the tensors the two
fnrt modes use (image encoder, projections, decoder, full-res branch, normal encoder), without
base_model.*, the image decoder and num_batches_tracked; BatchNorm is kept unfolded.

Widths (read from tensor shapes, see infer_widths):
  resnet  (w1, w2, w3, w4)  ResNet stage widths (full: 64, 128, 256, 512); layer0 has w1
  blocks  (b1, b2, b3, b4)  BasicBlocks per stage (ResNet-18: 2, 2, 2, 2)
  l4proj  layer4_1x1 output channels (full: 768)
  up      (u3, u2, u1, u0)  conv_up3..0 output channels (full: 640, 320, 320, 192)
  fullres full-resolution branch width (full: 64)
  head    conv_original_size2 output channels (full: 64)
Max-merge K (channels of the decoder map kept as they are) = map channels - skip channels:
  before conv_up3: l4proj - w3, conv_up2: u3 - w2, conv_up1: u2 - w1, conv_up0: u1 - w1,
  conv_original_size2: u0 - fullres  (full: 512, 512, 256, 256, 128, the published constants).
"""

import math
from collections import namedtuple

BN_SUFFIXES = ("weight", "bias", "running_mean", "running_var")
NBT = "num_batches_tracked"
ARCHITECTURE = "crossmodal"
MODES = ("image", "normal-ae")

# kind: conv weight [Cout, Cin, kh, kw] | bias [C] | bn.weight / bn.bias / bn.mean / bn.var
#       [C] | bn.count (num_batches_tracked, shape [], published only) | fc.weight, fc.bias
# role: what the layer feeds, for random-model initialisation:
#       "relu"   a ReLU follows                 "branch"  conv2 of a BasicBlock (added to the
#       "shortcut" a downsample conv            shortcut, then ReLU)
#       "out"    conv_last (the normal output)  None      not a conv weight
TensorSpec = namedtuple("TensorSpec", "name shape kind role")


class Widths(namedtuple("Widths", "resnet blocks l4proj up fullres head")):
    """Cross-modal widths; resnet, blocks and up are 4-tuples."""

    @property
    def enc(self):
        """Output channels of layer0..layer4."""
        w = self.resnet
        return (w[0], w[0], w[1], w[2], w[3])

    @property
    def merge_k(self):
        """K of the five max-merges, decoder order (before conv_up3, 2, 1, 0,
        conv_original_size2)."""
        e, u = self.enc, self.up
        return (self.l4proj - e[3], u[0] - e[2], u[1] - e[1], u[2] - e[0], u[3] - self.fullres)

    def metadata(self):
        return {
            "resnet_widths": ",".join(map(str, self.resnet)),
            "resnet_blocks": ",".join(map(str, self.blocks)),
            "layer4_proj": str(self.l4proj),
            "up_widths": ",".join(map(str, self.up)),
            "fullres_width": str(self.fullres),
            "head_width": str(self.head),
        }

    def describe(self):
        return "resnet=%s blocks=%s layer4_1x1=%d up=%s fullres=%d head=%d" % (
            ",".join(map(str, self.resnet)), ",".join(map(str, self.blocks)), self.l4proj,
            ",".join(map(str, self.up)), self.fullres, self.head)


class LayoutError(Exception):
    """Missing or misshaped tensor / inconsistent widths."""


def _ints(v, n, what):
    if isinstance(v, str):
        try:
            v = [int(x) for x in v.split(",")]
        except ValueError:
            raise LayoutError("%s must be %d comma separated integers, got %r" % (what, n, v))
    v = tuple(int(x) for x in v)
    if len(v) != n:
        raise LayoutError("%s must have %d entries, got %d" % (what, n, len(v)))
    return v


def make_widths(resnet, blocks, l4proj, up, fullres, head):
    """Widths from ints / comma separated strings; checks positivity and that every
    max-merge keeps K >= 0 channels."""
    w = Widths(_ints(resnet, 4, "resnet widths"), _ints(blocks, 4, "resnet blocks"),
               int(l4proj), _ints(up, 4, "up widths"), int(fullres), int(head))
    if min(w.resnet + w.blocks + w.up + (w.l4proj, w.fullres, w.head)) <= 0:
        raise LayoutError("widths must be positive: %s" % w.describe())
    bad = [k for k in w.merge_k if k < 0]
    if bad:
        raise LayoutError("a skip has more channels than the decoder map it merges into "
                          "(K = %s): %s" % (",".join(map(str, w.merge_k)), w.describe()))
    return w


FULL = make_widths((64, 128, 256, 512), (2, 2, 2, 2), 768, (640, 320, 320, 192), 64, 64)
# Every width / 8: the committed golden model.
TINY = make_widths((8, 16, 32, 64), (2, 2, 2, 2), 96, (80, 40, 40, 24), 8, 8)


def widths_from_metadata(meta):
    try:
        return make_widths(meta["resnet_widths"], meta["resnet_blocks"], meta["layer4_proj"],
                           meta["up_widths"], meta["fullres_width"], meta["head_width"])
    except KeyError as e:
        raise LayoutError("metadata lacks %s" % e)
    except ValueError as e:
        raise LayoutError("bad width in metadata: %s" % e)


# ----------------------------------------------------------------------------- specs

def _conv(out, name, co, ci, k, role, bias=True):
    out.append(TensorSpec(name + ".weight", (co, ci, k, k), "conv", role))
    if bias:
        out.append(TensorSpec(name + ".bias", (co,), "bias", None))


def _bn(out, name, c, published):
    for suffix, kind in zip(BN_SUFFIXES, ("bn.weight", "bn.bias", "bn.mean", "bn.var")):
        out.append(TensorSpec(name + "." + suffix, (c,), kind, None))
    if published:
        out.append(TensorSpec(name + "." + NBT, (), "bn.count", None))


def stage_prefix(n, suffix=""):
    """Module prefix of ResNet stage n (1..4) in the published encoder (suffix "" or "_2")."""
    return "layer1%s.1" % suffix if n == 1 else "layer%d%s" % (n, suffix)


def _block(out, prefix, ci, co, stride, published):
    _conv(out, prefix + ".conv1", co, ci, 3, "relu", bias=False)
    _bn(out, prefix + ".bn1", co, published)
    _conv(out, prefix + ".conv2", co, co, 3, "branch", bias=False)
    _bn(out, prefix + ".bn2", co, published)
    if stride != 1 or ci != co:
        _conv(out, prefix + ".downsample.0", co, ci, 1, "shortcut", bias=False)
        _bn(out, prefix + ".downsample.1", co, published)


def encoder_specs(w, suffix="", published=False):
    """The ResNet encoder under layer0<suffix> .. layer4<suffix>, state_dict order."""
    out = []
    _conv(out, "layer0%s.0" % suffix, w.resnet[0], 3, 7, "relu", bias=False)
    _bn(out, "layer0%s.1" % suffix, w.resnet[0], published)
    ci = w.resnet[0]
    for n in range(1, 5):
        co = w.resnet[n - 1]
        for b in range(w.blocks[n - 1]):
            stride = 2 if (b == 0 and n > 1) else 1
            _block(out, "%s.%d" % (stage_prefix(n, suffix), b), ci, co, stride, published)
            ci = co
    return out


def _proj_specs(w, n):
    out = []
    if n < 4:
        _conv(out, "layer%d_1x1.0" % n, w.enc[n], w.enc[n], 1, "relu")
    else:
        _conv(out, "layer4_1x1.0", w.l4proj, w.enc[4], 1, "relu")
    return out


def _decoder_specs(w):
    out = []
    ins = (w.l4proj,) + w.up[:3]
    for n, ci, co in zip((3, 2, 1, 0), ins, w.up):
        _conv(out, "conv_up%d.0" % n, co, ci, 3, "relu")
    return out


def _fullres_specs(w, n):
    out = []
    if n == 0:
        _conv(out, "conv_original_size0.0", w.fullres, 3, 3, "relu")
    elif n == 1:
        _conv(out, "conv_original_size1.0", w.fullres, w.fullres, 3, "relu")
    else:
        _conv(out, "conv_original_size2.0", w.head, w.up[3], 3, "relu")
    return out


def image_decoder_specs(w):
    """The published image-reconstruction decoder (unused by fnrt): conv_up*_2,
    conv_original_size*_2, conv_last_2, at widths scaled like the published ones."""
    out = []
    r = w.resnet
    for n, co, ci in ((3, r[3], r[3]), (2, r[2], r[3]), (1, r[2], r[2]), (0, r[1], r[2])):
        _conv(out, "conv_up%d_2.0" % n, co, ci, 3, "relu")
    return out


def _image_decoder_tail(w):
    out = []
    _conv(out, "conv_original_size0_2.0", w.fullres, 3, 3, "relu")
    _conv(out, "conv_original_size1_2.0", w.fullres, w.fullres, 3, "relu")
    _conv(out, "conv_original_size2_2.0", w.head, w.resnet[1], 3, "relu")
    return out


def base_model_name(view_name):
    """'layer0.0.weight' -> 'base_model.conv1.weight', 'layer1.1.0.bn1.bias' ->
    'base_model.layer1.0.bn1.bias', 'layer3.1.conv2.weight' -> 'base_model.layer3.1...';
    None for names that are not image-encoder tensors."""
    if view_name.startswith("layer0.0."):
        return "base_model.conv1." + view_name[len("layer0.0."):]
    if view_name.startswith("layer0.1."):
        return "base_model.bn1." + view_name[len("layer0.1."):]
    if view_name.startswith("layer1.1."):
        return "base_model.layer1." + view_name[len("layer1.1."):]
    for n in (2, 3, 4):
        if view_name.startswith("layer%d." % n):
            return "base_model." + view_name
    return None


def base_model_to_view(name):
    """Inverse of base_model_name: 'base_model.bn1.weight' -> 'layer0.1.weight'; None for
    base_model.fc.* (the unused classifier) and names outside base_model."""
    if not name.startswith("base_model."):
        return None
    rest = name[len("base_model."):]
    for head, view in (("conv1.", "layer0.0."), ("bn1.", "layer0.1."),
                       ("layer1.", "layer1.1."), ("layer2.", "layer2."), ("layer3.", "layer3."),
                       ("layer4.", "layer4.")):
        if rest.startswith(head):
            return view + rest[len(head):]
    return None


def published_specs(w):
    """Every tensor of the published model.pth state_dict at widths w, in its order
    (base_model first, with its fc classifier, num_batches_tracked everywhere)."""
    out = []
    enc = encoder_specs(w, "", published=True)
    for t in enc:
        out.append(t._replace(name=base_model_name(t.name)))
    out.append(TensorSpec("base_model.fc.weight", (1000, w.resnet[3]), "fc.weight", None))
    out.append(TensorSpec("base_model.fc.bias", (1000,), "fc.bias", None))
    # layer0, layer0_1x1, layer1, layer1_1x1, ... in registration order
    by_stage = {0: [], 1: [], 2: [], 3: [], 4: []}
    for t in enc:
        n = int(t.name[len("layer")])
        by_stage[n].append(t)
    for n in range(5):
        out.extend(by_stage[n])
        out.extend(_proj_specs(w, n))
    out.extend(encoder_specs(w, "_2", published=True))
    out.extend(_decoder_specs(w))
    out.extend(image_decoder_specs(w))
    for n in range(3):
        out.extend(_fullres_specs(w, n))
    out.extend(_image_decoder_tail(w))
    _conv(out, "conv_last", 3, w.head, 1, "out")
    _conv(out, "conv_last_2", 3, w.head, 1, "out")
    return out


def model_specs(w):
    """Tensor specs of an fnrt crossmodal model file (the tensors both modes use), in the
    published order."""
    out = []
    enc = encoder_specs(w, "")
    for n in range(5):
        out.extend(t for t in enc if t.name.startswith("layer%d." % n))
        out.extend(_proj_specs(w, n))
    out.extend(encoder_specs(w, "_2"))
    out.extend(_decoder_specs(w))
    for n in range(3):
        out.extend(_fullres_specs(w, n))
    _conv(out, "conv_last", 3, w.head, 1, "out")
    return out


def is_dropped(name):
    """True for published tensors fnrt does not use (image decoder, the unused _2 full-res
    branch, the ResNet classifier)."""
    for p in ("conv_up3_2.", "conv_up2_2.", "conv_up1_2.", "conv_up0_2.",
              "conv_original_size0_2.", "conv_original_size1_2.", "conv_original_size2_2.",
              "conv_last_2.", "base_model.fc."):
        if name.startswith(p):
            return True
    return False


# ----------------------------------------------------------------------------- widths

def _dim(shapes, name, axis, rank):
    if name not in shapes:
        raise LayoutError("missing tensor %s (needed to infer the widths)" % name)
    shape = tuple(shapes[name])
    if len(shape) != rank:
        raise LayoutError("tensor %s has shape %s, expected rank %d" % (name, list(shape), rank))
    return shape[axis]


def infer_widths(shapes):
    """Widths from a dict name -> shape (published or fnrt names)."""
    resnet = [_dim(shapes, "layer0.0.weight", 0, 4)]
    for n in (2, 3, 4):
        resnet.append(_dim(shapes, "%s.0.conv1.weight" % stage_prefix(n), 0, 4))
    blocks = []
    for n in range(1, 5):
        b = 0
        while "%s.%d.conv1.weight" % (stage_prefix(n), b) in shapes:
            b += 1
        if b == 0:
            raise LayoutError("missing tensor %s.0.conv1.weight" % stage_prefix(n))
        blocks.append(b)
    l4 = _dim(shapes, "layer4_1x1.0.weight", 0, 4)
    up = [_dim(shapes, "conv_up%d.0.weight" % n, 0, 4) for n in (3, 2, 1, 0)]
    f = _dim(shapes, "conv_original_size0.0.weight", 0, 4)
    head = _dim(shapes, "conv_original_size2.0.weight", 0, 4)
    return make_widths(resnet, blocks, l4, up, f, head)


def check_shapes(shapes, specs, where="", allow_extra=False):
    """Compares a dict name -> shape with specs; returns a list of problem strings."""
    problems = []
    expected = set()
    for t in specs:
        expected.add(t.name)
        if t.name not in shapes:
            problems.append("%smissing tensor %s (expected shape %s)"
                            % (where, t.name, list(t.shape)))
        elif tuple(shapes[t.name]) != tuple(t.shape):
            problems.append("%stensor %s has shape %s, expected %s"
                            % (where, t.name, list(shapes[t.name]), list(t.shape)))
    if not allow_extra:
        for name in shapes:
            if name not in expected:
                problems.append("%sunexpected tensor %s (shape %s)"
                                % (where, name, list(shapes[name])))
    return problems


def param_count(specs):
    return sum(math.prod(t.shape) for t in specs)
