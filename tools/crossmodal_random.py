"""Random cross-modal weights (numpy only), used by random-model.py --architecture crossmodal
and make-golden-crossmodal.py.

Initialisation (activations stay O(1) through both encoders and the decoder, outputs are
neither near zero nor dominated by one channel):
  * conv weights ~ N(0, (gain / sqrt(Cin*kh*kw))^2): gain sqrt(2) before a ReLU, 1/sqrt(2)
    for a BasicBlock's conv2 and its downsample shortcut (the two are summed), 4 for conv_last
    (its inputs are ReLU outputs of rms ~0.3: this gives x and y a spread of about +-0.5).
  * conv biases ~ N(0, 0.05^2); conv_last: z output (channel 2) bias +Z_BIAS and its weights
    scaled by Z_WEIGHT_GAIN, so that normals face the camera roughly as real ones do and the
    pre-normalisation vectors stay well away from zero while x and y still change sign.
  * BatchNorm: gamma ~ U[0.5, 1.5], beta ~ N(0, 0.1^2), running_mean ~ N(0, 0.1^2),
    running_var ~ U[0.5, 2]; num_batches_tracked (published format only) ~ U{1000..99999}.
  * ResNet classifier (base_model.fc, published format only) ~ N(0, 0.01^2).
The stream is numpy's PCG64 seeded with the seed, drawn in the order of the specs, so a
(seed, widths, published) triple always gives the same tensors.
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crossmodal_layout as layout  # noqa: E402

GAINS = {"relu": math.sqrt(2.0), "branch": 1.0 / math.sqrt(2.0),
         "shortcut": 1.0 / math.sqrt(2.0), "out": 4.0}
Z_BIAS = 1.5
Z_WEIGHT_GAIN = 0.3


def random_tensor(spec, rng):
    shape, kind = spec.shape, spec.kind
    if kind == "conv":
        fan_in = shape[1] * shape[2] * shape[3]
        std = GAINS[spec.role] / math.sqrt(fan_in)
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        if spec.role == "out":
            w[2] *= np.float32(Z_WEIGHT_GAIN)
        return w
    if kind == "bias":
        b = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05)
        if spec.name in ("conv_last.bias", "conv_last_2.bias"):
            b[2] += np.float32(Z_BIAS)
        return b
    if kind == "bn.weight":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if kind in ("bn.bias", "bn.mean"):
        return rng.normal(0.0, 0.1, shape).astype(np.float32)
    if kind == "bn.var":
        return rng.uniform(0.5, 2.0, shape).astype(np.float32)
    if kind == "bn.count":
        return np.array(int(rng.integers(1000, 100000)), dtype=np.int64)
    if kind in ("fc.weight", "fc.bias"):
        return rng.normal(0.0, 0.01, shape).astype(np.float32)
    raise ValueError("unknown tensor kind %r" % kind)


def random_tensors(widths, seed, published=False):
    """[(name, array)] for an fnrt model file (published=False) or for the published
    state_dict (published=True: base_model duplicates EQUAL to their encoder views, the
    classifier, the image decoder, num_batches_tracked)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    if not published:
        return [(t.name, random_tensor(t, rng)) for t in layout.model_specs(widths)]
    specs = layout.published_specs(widths)
    drawn = {}
    for t in specs:  # views first so that base_model.* can copy them
        if layout.base_model_to_view(t.name) is None:
            drawn[t.name] = random_tensor(t, rng)
    out = []
    for t in specs:
        view = layout.base_model_to_view(t.name)
        out.append((t.name, drawn[view] if view is not None else drawn[t.name]))
    return out
