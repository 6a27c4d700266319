"""Minimal safetensors reader/writer for the fnrt tools (numpy only, no torch).

File layout (https://github.com/huggingface/safetensors, re-implemented here):
  u64 little-endian N | N bytes of UTF-8 JSON header (space padded to a multiple of 8)
  | data area.
The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
(offsets relative to the data area start) plus an optional "__metadata__" object of
string -> string.  Tensors are stored contiguously, in the order given, without gaps.

Supported dtypes: F32, F16, BF16 (BF16 is handled as raw uint16 bit patterns, since
numpy has no bfloat16 type; float32 -> bfloat16 rounds to nearest even).
"""

import hashlib
import json
import os
import struct
import tempfile
from collections import OrderedDict

import numpy as np

DTYPES = ("F32", "F16", "BF16")
_ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}
_NUMPY = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}
MAX_HEADER_BYTES = 100 << 20


class SafetensorsError(Exception):
    """Malformed file or unsupported content."""


def f32_to_bf16_bits(a):
    """float32 array -> uint16 bfloat16 bit patterns (round to nearest, ties to even)."""
    a = np.ascontiguousarray(a, dtype="<f4")
    u = a.view("<u4").astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    nan = np.isnan(a)
    out = rounded.astype("<u2")
    if nan.any():  # keep NaN a (quiet) NaN instead of rounding into Inf
        out[nan] = ((u[nan] >> 16) | 0x40).astype("<u2")
    return out


def bf16_bits_to_f32(b):
    """uint16 bfloat16 bit patterns -> float32 array (exact)."""
    b = np.ascontiguousarray(b, dtype="<u2")
    return (b.astype("<u4") << 16).view("<f4")


def encode(array, dtype):
    """Returns a contiguous little-endian numpy array holding `array` in safetensors
    `dtype` (F32/F16/BF16 bits).  Raises SafetensorsError if a finite value would
    overflow to infinity in the target type."""
    if dtype not in DTYPES:
        raise SafetensorsError("unsupported dtype %r (want one of %s)" % (dtype, ", ".join(DTYPES)))
    a = np.asarray(array)
    if dtype == "BF16" and a.dtype == _NUMPY["BF16"]:
        return np.ascontiguousarray(a)  # already bit patterns
    a32 = np.ascontiguousarray(a, dtype="<f4")
    if dtype == "F32":
        return a32
    if dtype == "F16":
        with np.errstate(over="ignore"):
            out = a32.astype("<f2")
        decoded = out.astype("<f4")
    else:
        out = f32_to_bf16_bits(a32)
        decoded = bf16_bits_to_f32(out)
    bad = np.isinf(decoded) & np.isfinite(a32)
    if bad.any():
        raise SafetensorsError("value %g overflows %s" % (float(a32[bad].flat[0]), dtype))
    return out


def decode(raw, dtype):
    """Stored array (as returned by read) -> float32 numpy array."""
    if dtype == "BF16":
        return bf16_bits_to_f32(raw)
    return np.asarray(raw, dtype="<f4")


def write(path, tensors, metadata=None, dtype="F32", overwrite=False, sha_key="data_sha256"):
    """Writes `tensors` (iterable of (name, array) or a mapping, kept in order) to `path`.

    Every array is converted to `dtype`.  `metadata` (str -> str) goes into
    "__metadata__"; if `sha_key` is not None the hex sha256 of the whole data area is
    added under that key.  The file is written to a temporary file in the same directory
    and then moved into place; if `overwrite` is false and `path` exists, FileExistsError
    is raised (and nothing is left behind).  Returns the data sha256 (hex)."""
    items = list(tensors.items()) if hasattr(tensors, "items") else list(tensors)
    meta = OrderedDict()
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise SafetensorsError("metadata must map str to str (got %r: %r)" % (k, v))
        meta[k] = v

    encoded = []
    names = set()
    for name, arr in items:
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise SafetensorsError("bad tensor name %r" % (name,))
        if name in names:
            raise SafetensorsError("duplicate tensor name %r" % name)
        names.add(name)
        encoded.append((name, encode(arr, dtype), list(np.shape(arr))))

    sha = hashlib.sha256()
    header = OrderedDict()
    offset = 0
    for name, enc, shape in encoded:
        sha.update(memoryview(enc).cast("B"))
        header[name] = OrderedDict(
            [("dtype", dtype), ("shape", shape), ("data_offsets", [offset, offset + enc.nbytes])])
        offset += enc.nbytes
    digest = sha.hexdigest()
    if sha_key is not None:
        meta[sha_key] = digest
    full = OrderedDict()
    if meta:
        full["__metadata__"] = meta
    full.update(header)
    hjson = json.dumps(full, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)

    directory = os.path.dirname(os.path.abspath(path))
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hjson)))
            f.write(hjson)
            for _, enc, _ in encoded:
                f.write(memoryview(enc).cast("B"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails atomically if path appeared meanwhile
            os.unlink(tmp)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return digest


class SafetensorsFile:
    """A parsed, validated safetensors file held in memory.

    .metadata: dict str -> str;  .names: tensor names in file order;
    .dtype(name), .shape(name);  .raw(name): stored numpy array (F32 -> float32,
    F16 -> float16, BF16 -> uint16 bits);  .get(name): float32 numpy array;
    .data_sha256(): hex sha256 of the data area."""

    def __init__(self, path):
        with open(path, "rb") as f:
            blob = f.read()
        self.path = path
        if len(blob) < 8:
            raise SafetensorsError("%s: file too short" % path)
        (n,) = struct.unpack("<Q", blob[:8])
        if n > MAX_HEADER_BYTES or 8 + n > len(blob):
            raise SafetensorsError("%s: bad header length %d" % (path, n))
        try:
            header = json.loads(blob[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
        except (UnicodeDecodeError, ValueError) as e:
            raise SafetensorsError("%s: header is not valid JSON: %s" % (path, e))
        if not isinstance(header, dict):
            raise SafetensorsError("%s: header is not a JSON object" % path)
        self._data = memoryview(blob)[8 + n:]
        meta = header.pop("__metadata__", None) or {}
        if not isinstance(meta, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            raise SafetensorsError("%s: __metadata__ must map str to str" % path)
        self.metadata = dict(meta)
        self._info = OrderedDict()
        spans = []
        for name, info in header.items():
            if not isinstance(info, dict):
                raise SafetensorsError("%s: entry %r is not an object" % (path, name))
            dt, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
            if dt not in DTYPES:
                raise SafetensorsError("%s: %s: unsupported dtype %r" % (path, name, dt))
            if (not isinstance(shape, list) or
                    not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
                raise SafetensorsError("%s: %s: bad shape %r" % (path, name, shape))
            if (not isinstance(offs, list) or len(offs) != 2 or
                    not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
                raise SafetensorsError("%s: %s: bad data_offsets %r" % (path, name, offs))
            begin, end = offs
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if not 0 <= begin <= end <= len(self._data) or end - begin != count * _ITEMSIZE[dt]:
                raise SafetensorsError("%s: %s: data_offsets %r do not fit shape %r x %s"
                                       % (path, name, offs, shape, dt))
            self._info[name] = (dt, tuple(shape), begin, end)
            spans.append((begin, end, name))
        spans.sort()
        pos = 0
        for begin, end, name in spans:
            if begin != pos:
                raise SafetensorsError("%s: %s: data overlaps or leaves a gap at byte %d"
                                       % (path, name, pos))
            pos = end
        if pos != len(self._data):
            raise SafetensorsError("%s: data area has %d trailing bytes" % (path, len(self._data) - pos))
        self.names = list(self._info)

    def __contains__(self, name):
        return name in self._info

    def dtype(self, name):
        return self._info[name][0]

    def shape(self, name):
        return self._info[name][1]

    def raw(self, name):
        dt, shape, begin, end = self._info[name]
        return np.frombuffer(self._data[begin:end], dtype=_NUMPY[dt]).reshape(shape).copy()

    def get(self, name):
        return decode(self.raw(name), self.dtype(name)).reshape(self.shape(name))

    def data_sha256(self):
        return hashlib.sha256(self._data).hexdigest()


def read(path):
    """Parses and validates `path`; returns a SafetensorsFile."""
    return SafetensorsFile(path)
