"""Pieces shared by the float64 PyTorch references (reference.py, reference_crossmodal.py).

load_fnrt_model reads and validates an fnrt model file with tools/safetensors_io.py and
returns its parameters as float64 torch tensors; load_image reads the 256x256 input PNG;
TorchNet holds what both networks' forward passes use (parameters, the --dump hook, ReLU,
per-pixel L2 normalisation); save_npy / save_dumps write the float32 outputs.
"""

import os

import numpy as np

import safetensors_io

IMAGE_SIZE = 256


class RefError(Exception):
    pass


def load_fnrt_model(path, architecture, layout, widths_of):
    """Reads an fnrt model of `architecture`; returns (widths, bn_eps, dict name -> float64
    tensor).  widths_of(path, shapes, metadata) returns the widths (raising RefError or
    layout.LayoutError); layout.check_shapes / layout.model_specs check every tensor."""
    import torch
    try:
        st = safetensors_io.read(path)
    except OSError as e:
        raise RefError("cannot read %s: %s" % (path, e))
    except safetensors_io.SafetensorsError as e:
        raise RefError(str(e))
    meta = st.metadata
    if meta.get("format") != "fnrt":
        raise RefError("%s: metadata format is %r, expected 'fnrt'" % (path, meta.get("format")))
    if meta.get("architecture") != architecture:
        raise RefError("%s: architecture %r is not %s" % (path, meta.get("architecture"),
                                                          architecture))
    if "data_sha256" in meta and meta["data_sha256"] != st.data_sha256():
        raise RefError("%s: data_sha256 mismatch (file corrupt?)" % path)
    shapes = {n: st.shape(n) for n in st.names}
    try:
        w = widths_of(path, shapes, meta)
    except layout.LayoutError as e:
        raise RefError("%s: %s" % (path, e))
    problems = layout.check_shapes(shapes, layout.model_specs(w))
    if problems:
        raise RefError("%s: %s" % (path, "; ".join(problems)))
    eps = float(meta.get("bn_eps", "1e-05"))
    params = {n: torch.from_numpy(st.get(n).astype(np.float64)) for n in st.names}
    return w, eps, params


def load_image(path):
    """256x256 PNG -> float64 (3, H, W), RGB / 255."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            im.load()
            size = im.size
            rgb = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
    except OSError as e:
        raise RefError("cannot read image %s: %s" % (path, e))
    if size != (IMAGE_SIZE, IMAGE_SIZE):
        raise RefError("%s: image is %dx%d, must be %dx%d"
                       % (path, size[0], size[1], IMAGE_SIZE, IMAGE_SIZE))
    return rgb.transpose(2, 0, 1).copy()  # (3, H, W)


class TorchNet:
    """Base of the forward passes: parameters p, BN eps, widths w; dumps is a dict
    name -> tensor (1,C,H,W) that _save fills, or None."""

    def __init__(self, widths, eps, params, dump=None):
        import torch
        import torch.nn.functional as F
        self.torch, self.F = torch, F
        self.w, self.eps, self.p = widths, eps, params
        self.dumps = dump

    def _save(self, name, x):
        if self.dumps is not None:
            self.dumps[name] = x.detach()
        return x

    def relu(self, x):
        return self.F.relu(x)

    def l2_normalise(self, x):
        n = self.torch.sqrt((x * x).sum(dim=1, keepdim=True))
        return x / self.torch.clamp(n, min=1e-12)


def save_npy(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype=np.float32))


def save_dumps(directory, dumps, file_name=lambda name: name):
    """Writes every dump as directory/<file_name(name)>.npy, float32."""
    os.makedirs(directory, exist_ok=True)
    for name, arr in dumps.items():
        save_npy(os.path.join(directory, file_name(name) + ".npy"), arr)
