#!/usr/bin/env python3
"""Trains fnrt's reduced-width FNR2R on synthetic face shards.

  python3 tools/train.py --data DIR [--data DIR2 ...] [--eval EVALDIR] --out CKPTDIR
      [--stage coarse|refiner|both] [--width quarter|tiny|full] [--minutes M]
      [--batch B] [--lr LR] [--resume] ...          (--help lists every option)

One command trains both stages inside a total time budget:
  python3 tools/train.py --data data/ --eval evalset/ --out ckpt/ --stage both --minutes 8
and leaves ckpt/p1_coarse.pkl and ckpt/p2_refiner.pt for
  python3 tools/fnrt-convert.py --coarse ckpt/p1_coarse.pkl --refiner ckpt/p2_refiner.pt -o M

Data (written by fnrt-facegen; every shard in every --data directory is used):
  DIR/shard-<K>.json     {"count": N, "size": S, ...}           (S must be 256)
  DIR/images-<K>.u8      uint8 (N,S,S,3) RGB
  DIR/normals-<K>.i16    int16 LE (N,S,S,3) = round(n*32767), camera frame (x right, y up,
                         z toward the viewer), background 0
  DIR/masks-<K>.u8       uint8 (N,S,S) labels: 0 background, 1 face, 2 head-neck, 3 eyeball
  A shard counts once its JSON parses and the three files have their full size, so a
  generator may still be writing into the directory: --min-images / --data-wait make the
  trainer wait for data, --rescan S picks up new shards at epoch boundaries.
  On CUDA the whole data set is uploaded to the GPU once as uint8/int16 (10k images are
  ~6.5 GB; --data-device cpu keeps it in pinned host memory instead); batches are drawn by
  index on the device and augmented there.
Augmentation: random horizontal flip (p = 0.5): image, normals and labels are mirrored and
  n_x is negated.  Nothing else.
Evaluation set (--eval): NNNNNN.png (RGB8), NNNNNN-normal.png (RGB16, (n+1)/2),
  NNNNNN-mask.png (label in every channel), read by the PNG decoder below (PIL 9 would
  reduce 16-bit RGB to 8 bits).  Reported: mean / median angular error (degrees) over the
  pixels labelled face (1) or eyeball (3), pooled over the first --eval-max images.  The
  coarse stage reports the exemplar's error, the refiner stage the final normals' error.

Training:
  coarse   input gray = mean(R,G,B) in [0,1]; the tanh output, L2-normalised, is compared
           with t = (-n_y, n_x, n_z), the camera-frame normal in the coarse frame (the
           inverse of the exemplar swizzle (x,y,z)->(y,-x,z)).
  refiner  the coarse net is frozen (eval mode, no grad) and produces the exemplar;
           refiner(rgb, exemplar), L2-normalised, is compared with n.
  loss     over the pixels with label > 0 only (background is ignored):
             mean over those pixels of (1 - cos(p, t)) + 0.5 * |p - t|_1
           where |.|_1 is the sum of the absolute differences of the 3 components.
  optimiser Adam, betas (0.9, 0.999), no weight decay, gradient norm clipped at --clip.
  schedule  linear warm-up over --warmup steps, then cosine decay to 0 at the planned
           step count.  The planned count is --steps, or else estimated from the stage's
           time budget: from the step time measured over the first steps, then once more
           after 30% of the budget from the sustained rate (evaluations and checkpoints
           included).  It is stored in the checkpoint, so a resumed run follows the same
           schedule (and is never re-planned).  A stage ends at its planned step count or
           its time budget, whichever comes first.
  batch    default 96 on CUDA (an H100 at quarter width: ~5400 images/s coarse, ~1400
           refiner; batch 32 gave ~2300 / ~750), 8 on the CPU.
  precision bf16 autocast on CUDA (parameters, optimiser and loss in float32); float32 on
           the CPU (torch.set_num_threads(--threads), default 2).  channels_last on CUDA.
           cuDNN benchmark mode is off unless --cudnn-benchmark (it cost ~20 s at the
           refiner's start and gained nothing).
  BatchNorm train mode while training, eval mode for evaluation and export.
  seeds    --seed S (default 1234): the coarse net is initialised after
           torch.manual_seed(S), the refiner after torch.manual_seed(S + 1); the batch order
           and flips come from numpy PCG64(S + 10) (coarse) / PCG64(S + 11) (refiner).
  --stage both splits the budget --split (default 0.45) / rest between the stages,
           measured from the moment the data is loaded; time the coarse stage leaves unused
           goes to the refiner.

Outputs in CKPTDIR (every file is written to a temporary name and renamed):
  <stage>-last.pt     model + optimiser + step + planned steps + sampler + RNG states,
                      every --ckpt-minutes and at the end; --resume continues from it
                      exactly (same data, same device) and skips a finished stage.
  p1_coarse.pkl       torch.save(coarse.state_dict())             (published formats;
  p2_refiner.pt       torch.save({"model": refiner.state_dict()})  written at the start
                      from the initial weights, then at every checkpoint), so a kill at
                      any time leaves a convertible pair; status.json says how far each
                      stage got.
  train-config.json   all hyper-parameters, widths, seeds, versions, planned steps.
  train.log           the progress lines.
  eval-cache.npz      the decoded evaluation set.
Exit status: 0 ok (also when stopped by the time budget or SIGINT/SIGTERM, after saving),
2 bad arguments or data, 1 other errors.
"""

import argparse
import contextlib
import datetime
import glob
import json
import math
import os
import platform
import signal
import struct
import sys
import tempfile
import time
import zlib

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)

IMAGE_SIZE = 256
FACE_LABELS = (1, 3)
L1_WEIGHT = 0.5
LOSS_NORM_EPS = 1e-6


class TrainError(Exception):
    """Bad arguments or data: exit status 2."""


# ============================================================================ PNG reader

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: (first column, first row, column step, row step)
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))


def _unfilter_sequential(kind, raw, prev, bpp):
    """Average (3) / Paeth (4) filters, which depend on the reconstructed left byte."""
    out = raw.tolist()        # Python ints (numpy 2 would keep uint8 scalars and wrap)
    up = prev.tolist()
    n = len(out)
    if kind == 3:
        for i in range(bpp):
            out[i] = (out[i] + (up[i] >> 1)) & 255
        for i in range(bpp, n):
            out[i] = (out[i] + ((out[i - bpp] + up[i]) >> 1)) & 255
    else:
        for i in range(bpp):
            out[i] = (out[i] + up[i]) & 255   # a = c = 0: the predictor is b
        for i in range(bpp, n):
            a = out[i - bpp]
            b = up[i]
            c = up[i - bpp]
            pa = abs(b - c)
            pb = abs(a - c)
            pc = abs(a + b - c - c)
            if pa <= pb and pa <= pc:
                out[i] = (out[i] + a) & 255
            elif pb <= pc:
                out[i] = (out[i] + b) & 255
            else:
                out[i] = (out[i] + c) & 255
    return np.array(out, dtype=np.uint8)


def _unfilter(data, pos, w, h, bits_pp, where):
    """Reconstructs h rows of a (sub)image starting at data[pos]; returns (rows uint8
    (h, rowbytes), new pos)."""
    rowbytes = (w * bits_pp + 7) // 8
    bpp = max(1, bits_pp // 8)
    need = h * (rowbytes + 1)
    if pos + need > len(data):
        raise ValueError("%s: image data too short" % where)
    block = np.frombuffer(data, dtype=np.uint8, count=need, offset=pos).reshape(h, rowbytes + 1)
    out = np.empty((h, rowbytes), dtype=np.uint8)
    prev = np.zeros(rowbytes, dtype=np.uint8)
    for y in range(h):
        kind = int(block[y, 0])
        raw = block[y, 1:]
        if kind == 0:
            cur = raw.copy()
        elif kind == 1:
            if rowbytes % bpp == 0:
                cur = np.cumsum(raw.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
            else:  # cannot happen for valid PNGs (bits_pp >= 8 -> whole pixels)
                cur = raw.copy()
                for i in range(bpp, rowbytes):
                    cur[i] = (int(cur[i]) + int(cur[i - bpp])) & 255
        elif kind == 2:
            cur = raw + prev                      # uint8 arithmetic wraps mod 256
        elif kind in (3, 4):
            cur = _unfilter_sequential(kind, raw, prev, bpp)
        else:
            raise ValueError("%s: bad filter type %d in row %d" % (where, kind, y))
        out[y] = cur
        prev = cur
    return out, pos + need


def _samples(rows, w, depth, channels):
    """Filtered-out rows (h, rowbytes) -> samples (h, w, channels), uint8 or uint16."""
    h = rows.shape[0]
    if depth == 16:
        s = rows.reshape(h, -1).view(">u2").astype(np.uint16)
    elif depth == 8:
        s = rows
    else:
        bits = np.unpackbits(rows, axis=1)               # MSB first
        per = 8 // depth
        bits = bits[:, :rows.shape[1] * 8].reshape(h, rows.shape[1] * per, depth)
        weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
        s = (bits * weights).sum(axis=2).astype(np.uint8)
    return s[:, :w * channels].reshape(h, w, channels)


def read_png(path):
    """Decodes a PNG file.  Returns (samples, depth): samples is (H, W, C) uint8
    (depth <= 8) or uint16 (depth 16) with C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA;
    palette images are expanded to RGB uint8 (depth reported as 8).  No gamma handling,
    CRCs are checked, interlaced (Adam7) files are supported."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != _PNG_SIG:
        raise ValueError("%s: not a PNG file" % path)
    pos = 8
    ihdr = None
    palette = None
    idat = []
    while True:
        if pos + 8 > len(data):
            raise ValueError("%s: truncated (no IEND)" % path)
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise ValueError("%s: truncated chunk %r" % (path, ctype))
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise ValueError("%s: CRC error in chunk %r" % (path, ctype))
        pos += 12 + length
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    if ihdr is None:
        raise ValueError("%s: no IHDR" % path)
    w, h, depth, ctype, comp, filt, interlace = ihdr
    if ctype not in _PNG_CHANNELS or comp != 0 or filt != 0 or interlace not in (0, 1):
        raise ValueError("%s: unsupported PNG (color type %d, interlace %d)" % (path, ctype, interlace))
    if depth not in (1, 2, 4, 8, 16):
        raise ValueError("%s: bad bit depth %d" % (path, depth))
    ch = _PNG_CHANNELS[ctype]
    bits_pp = ch * depth
    raw = zlib.decompress(b"".join(idat))
    if interlace == 0:
        rows, _ = _unfilter(raw, 0, w, h, bits_pp, path)
        img = _samples(rows, w, depth, ch)
    else:
        img = np.zeros((h, w, ch), dtype=np.uint16 if depth == 16 else np.uint8)
        p = 0
        for x0, y0, dx, dy in _ADAM7:
            pw = (w - x0 + dx - 1) // dx if w > x0 else 0
            ph = (h - y0 + dy - 1) // dy if h > y0 else 0
            if pw == 0 or ph == 0:
                continue
            rows, p = _unfilter(raw, p, pw, ph, bits_pp, path)
            img[y0::dy, x0::dx] = _samples(rows, pw, depth, ch)
    if ctype == 3:
        if palette is None:
            raise ValueError("%s: palette image without PLTE" % path)
        idx = img[:, :, 0]
        if idx.max() >= len(palette):
            raise ValueError("%s: palette index out of range" % path)
        return palette[idx], 8
    return img, depth


# ============================================================================ eval set

def _as_rgb(img):
    c = img.shape[2]
    if c in (1, 2):
        return np.repeat(img[:, :, :1], 3, axis=2)
    return img[:, :, :3]


def load_eval_set(evaldir, max_n, cache_path, log):
    """Returns (rgb float32 (N,3,H,W) in [0,1], normals float32 (N,3,H,W) unit,
    face mask bool (N,1,H,W), names)."""
    names = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(evaldir, "*.png"))
                   if not p.endswith("-normal.png") and not p.endswith("-mask.png"))
    names = [n for n in names
             if os.path.isfile(os.path.join(evaldir, n + "-normal.png"))
             and os.path.isfile(os.path.join(evaldir, n + "-mask.png"))]
    if max_n > 0:
        names = names[:max_n]
    if not names:
        raise TrainError("%s: no evaluation images (NNNNNN.png + -normal.png + -mask.png)" % evaldir)
    sig = []
    for n in names:
        for suffix in ("", "-normal", "-mask"):
            st = os.stat(os.path.join(evaldir, n + suffix + ".png"))
            sig.append("%s%s:%d:%d" % (n, suffix, st.st_size, int(st.st_mtime)))
    sig = "%s|%s" % (os.path.abspath(evaldir), ";".join(sig))
    if cache_path and os.path.isfile(cache_path):
        try:
            with np.load(cache_path) as z:
                if str(z["sig"]) == sig:
                    log("eval: %d images from cache %s" % (len(names), cache_path))
                    return z["rgb"], z["normals"], z["mask"], names
        except (OSError, KeyError, ValueError):
            pass
    t0 = time.time()
    rgbs, nors, masks = [], [], []
    for n in names:
        base = os.path.join(evaldir, n)
        try:
            img, d_img = read_png(base + ".png")
            nor, d_nor = read_png(base + "-normal.png")
            lab, _ = read_png(base + "-mask.png")
        except (OSError, ValueError, zlib.error) as e:
            raise TrainError("eval set: %s" % e)
        if img.shape[:2] != (IMAGE_SIZE, IMAGE_SIZE) or nor.shape[:2] != img.shape[:2] \
                or lab.shape[:2] != img.shape[:2]:
            raise TrainError("eval set: %s: images must all be %dx%d" % (n, IMAGE_SIZE, IMAGE_SIZE))
        rgbs.append(_as_rgb(img).astype(np.float32) / float((1 << d_img) - 1))
        v = _as_rgb(nor).astype(np.float64) / float((1 << d_nor) - 1) * 2.0 - 1.0
        v /= np.maximum(np.linalg.norm(v, axis=2, keepdims=True), 1e-12)
        nors.append(v.astype(np.float32))
        masks.append(np.isin(lab[:, :, 0], FACE_LABELS))
    rgb = np.stack(rgbs).transpose(0, 3, 1, 2).copy()
    normals = np.stack(nors).transpose(0, 3, 1, 2).copy()
    mask = np.stack(masks)[:, None].copy()
    log("eval: decoded %d images from %s in %.1f s (%d face pixels)"
        % (len(names), evaldir, time.time() - t0, int(mask.sum())))
    if cache_path:
        try:
            tmp = cache_path + ".tmp.npz"
            np.savez(tmp, sig=np.array(sig), rgb=rgb, normals=normals, mask=mask)
            os.replace(tmp, cache_path)
        except OSError:
            pass
    return rgb, normals, mask, names


# ============================================================================ shards

def scan_shards(dirs):
    """Complete shards in dirs: list of dicts (key, count, size, paths), sorted."""
    found = []
    for d in dirs:
        for jp in sorted(glob.glob(os.path.join(d, "shard-*.json"))):
            key = os.path.basename(jp)[len("shard-"):-len(".json")]
            try:
                with open(jp) as f:
                    meta = json.load(f)
                n, s = int(meta["count"]), int(meta["size"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # still being written
            paths = {k: os.path.join(d, "%s-%s.%s" % (k, key, ext))
                     for k, ext in (("images", "u8"), ("normals", "i16"), ("masks", "u8"))}
            want = {"images": n * s * s * 3, "normals": n * s * s * 3 * 2, "masks": n * s * s}
            try:
                if any(os.path.getsize(paths[k]) != want[k] for k in paths):
                    continue
            except OSError:
                continue
            found.append({"id": os.path.abspath(jp), "count": n, "size": s, "paths": paths})
    return found


class Dataset:
    """All shards in memory as torch tensors on one device: images uint8 (N,S,S,3),
    normals int16 (N,S,S,3), masks uint8 (N,S,S)."""

    CHUNK = 256

    def __init__(self, torch, dirs, device, log):
        self.torch, self.dirs, self.device, self.log = torch, dirs, device, log
        self.loaded = set()
        self.n = 0
        self.images = self.normals = self.masks = None

    @staticmethod
    def bytes_per_image(s=IMAGE_SIZE):
        return s * s * (3 + 6 + 1)

    def pending(self):
        return [sh for sh in scan_shards(self.dirs) if sh["id"] not in self.loaded]

    def add(self, shards):
        """Appends shards (from scan_shards); returns the number of images added."""
        torch = self.torch
        shards = [sh for sh in shards if sh["id"] not in self.loaded]
        if not shards:
            return 0
        for sh in shards:
            if sh["size"] != IMAGE_SIZE:
                raise TrainError("%s: image size %d, the network needs %d"
                                 % (sh["id"], sh["size"], IMAGE_SIZE))
        add = sum(sh["count"] for sh in shards)
        total = self.n + add
        s = IMAGE_SIZE
        pin = self.device.type == "cpu" and torch.cuda.is_available()
        new = {}
        for name, shape, dtype in (("images", (total, s, s, 3), torch.uint8),
                                   ("normals", (total, s, s, 3), torch.int16),
                                   ("masks", (total, s, s), torch.uint8)):
            t = torch.empty(shape, dtype=dtype, device=self.device, pin_memory=pin) if pin \
                else torch.empty(shape, dtype=dtype, device=self.device)
            old = getattr(self, name)
            if old is not None:
                t[:self.n].copy_(old)
            new[name] = t
        self.images = self.normals = self.masks = None  # drop the old copies first
        self.images, self.normals, self.masks = new["images"], new["normals"], new["masks"]
        pos = self.n
        for sh in shards:
            n = sh["count"]
            for name, dt, shape in (("images", np.uint8, (n, s, s, 3)),
                                    ("normals", "<i2", (n, s, s, 3)),
                                    ("masks", np.uint8, (n, s, s))):
                mm = np.memmap(sh["paths"][name], dtype=dt, mode="r", shape=shape)
                dst = getattr(self, name)
                for a in range(0, n, self.CHUNK):
                    b = min(n, a + self.CHUNK)
                    chunk = torch.from_numpy(np.array(mm[a:b], dtype=np.int16 if name == "normals"
                                                      else np.uint8))
                    dst[pos + a:pos + b].copy_(chunk)
                del mm
            pos += n
            self.loaded.add(sh["id"])
        self.n = total
        return add


class Sampler:
    """Epoch-wise random permutation with per-sample flip flags, drawn from a numpy
    PCG64 generator; batches are the next B entries (an epoch's remainder < B is
    skipped).  Its state (generator, permutation, position) is checkpointed."""

    def __init__(self, seed, batch):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.batch = batch
        self.perm = None
        self.flips = None
        self.pos = 0
        self.epoch = 0
        self._dev = None  # (device, perm tensor, flips tensor) cache

    def new_epoch(self, n):
        self.perm = self.rng.permutation(n).astype(np.int64)
        self.flips = self.rng.random(n) < 0.5
        self.pos = 0
        self.epoch += 1
        self._dev = None

    def need_epoch(self):
        return self.perm is None or self.pos + self.batch > len(self.perm)

    def next(self, torch, device):
        """Index and flip tensors (on device) of the next batch."""
        if self._dev is None or self._dev[0] != device:
            self._dev = (device, torch.from_numpy(self.perm).to(device),
                         torch.from_numpy(self.flips).to(device))
        a, b = self.pos, self.pos + self.batch
        self.pos = b
        return self._dev[1][a:b], self._dev[2][a:b]

    def state(self):
        return {"rng": self.rng.bit_generator.state, "perm": self.perm, "flips": self.flips,
                "pos": self.pos, "epoch": self.epoch}

    def load_state(self, st):
        self.rng.bit_generator.state = st["rng"]
        self.perm = None if st["perm"] is None else np.asarray(st["perm"], dtype=np.int64)
        self.flips = None if st["flips"] is None else np.asarray(st["flips"], dtype=bool)
        self.pos, self.epoch = int(st["pos"]), int(st["epoch"])
        self._dev = None


# ============================================================================ helpers

def atomic_torch_save(torch, obj, path):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=d)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_json(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def torch_load(torch, path):
    """Our own checkpoints hold numpy arrays and RNG states: full unpickling (trusted)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch without the weights_only argument
        return torch.load(path, map_location="cpu")


def cpu_state_dict(module):
    from collections import OrderedDict
    return OrderedDict((k, v.detach().to("cpu").clone()) for k, v in module.state_dict().items())


def _fmt_time(s):
    if s == float("inf"):
        return "none"
    s = int(max(0, s))
    return "%d:%02d" % (s // 60, s % 60)


# ============================================================================ trainer

class Trainer:
    def __init__(self, args):
        import torch
        self.torch = torch
        import fnr2r_torch as ft
        self.ft = ft
        self.args = args
        self.t_start = time.monotonic()
        self.deadline = self.t_start + args.minutes * 60.0 if args.minutes > 0 else float("inf")
        self.stop_requested = False
        os.makedirs(args.out, exist_ok=True)
        self.logf = open(os.path.join(args.out, "train.log"), "a")

        if args.device == "auto":
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            self.device = torch.device(args.device)
        self.cuda = self.device.type == "cuda"
        if self.cuda:
            torch.backends.cudnn.benchmark = args.cudnn_benchmark
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        else:
            torch.set_num_threads(args.threads)
        self.amp = self.cuda and not args.no_amp
        self.channels_last = self.cuda and not args.no_channels_last
        self.widths = self._widths()
        self.status = self._read_status()
        self.eval_data = None

    # -- small utilities ---------------------------------------------------------
    def log(self, msg):
        line = "[%s] %s" % (_fmt_time(time.monotonic() - self.t_start), msg)
        print(line, flush=True)
        self.logf.write(line + "\n")
        self.logf.flush()

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize(self.device)

    def path(self, name):
        return os.path.join(self.args.out, name)

    def autocast(self):
        if self.amp:
            return self.torch.autocast(device_type="cuda", dtype=self.torch.bfloat16)
        return contextlib.nullcontext()

    def _widths(self):
        import fnr2r_layout as layout
        a = self.args
        w = self.ft.WIDTH_PRESETS[a.width]
        try:
            return layout.parse_widths(a.coarse_d or w.coarse_d, a.vgg_widths or w.vgg,
                                       a.guide_width or w.guide, a.style_dim or w.style)
        except layout.LayoutError as e:
            raise TrainError(str(e))

    def _read_status(self):
        p = self.path("status.json")
        if self.args.resume and os.path.isfile(p):
            with open(p) as f:
                return json.load(f)
        return {"coarse": {"step": 0, "done": False, "trained": False},
                "refiner": {"step": 0, "done": False, "trained": False}}

    def write_status(self):
        atomic_json(self.status, self.path("status.json"))

    def write_config(self, extra=None):
        a = self.args
        cfg = {k: v for k, v in vars(a).items()}
        cfg.update({
            "widths": {"coarse_d": self.widths.coarse_d, "vgg": list(self.widths.vgg),
                       "guide": self.widths.guide, "style": self.widths.style,
                       "up_outs": list(self.widths.up_outs)},
            "parameters": {"coarse": self.ft.count_parameters(self.ft.CoarseNet(self.widths.coarse_d)),
                           "refiner": self.ft.count_parameters(self.ft.Refiner(self.widths))},
            "loss": "mean over label>0 pixels of (1 - cos(p,t)) + %g * sum_c |p_c - t_c|; "
                    "p = L2-normalised output (eps %g), coarse target (-n_y, n_x, n_z)"
                    % (L1_WEIGHT, LOSS_NORM_EPS),
            "optimizer": "Adam betas (0.9, 0.999), weight_decay 0, grad-norm clip %g" % a.clip,
            "schedule": "linear warm-up %d steps, cosine to 0 at the planned steps" % a.warmup,
            "augmentation": "horizontal flip p=0.5 (n_x negated)",
            "seeds": {"coarse_init": a.seed, "refiner_init": a.seed + 1,
                      "coarse_sampler": a.seed + 10, "refiner_sampler": a.seed + 11},
            "precision": "bf16 autocast" if self.amp else "float32",
            "device": str(self.device) + (" (%s)" % self.torch.cuda.get_device_name(self.device)
                                          if self.cuda else ""),
            "torch": self.torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(),
            "written": datetime.datetime.now().isoformat(timespec="seconds"),
        })
        old = self.path("train-config.json")
        if os.path.isfile(old):
            try:
                with open(old) as f:
                    prev = json.load(f)
                cfg["planned_steps"] = prev.get("planned_steps", {})
            except (OSError, ValueError):
                pass
        cfg.setdefault("planned_steps", {})
        if extra:
            cfg["planned_steps"].update(extra)
        atomic_json(cfg, old)

    # -- models ------------------------------------------------------------------
    def make_coarse(self):
        self.torch.manual_seed(self.args.seed)
        return self.ft.CoarseNet(self.widths.coarse_d)

    def make_refiner(self):
        self.torch.manual_seed(self.args.seed + 1)
        return self.ft.Refiner(self.widths)

    def to_device(self, m):
        m = m.to(self.device)
        if self.channels_last:  # rank-4 tensors only (SDFT.weight is rank 5)
            for p in m.parameters():
                if p.dim() == 4:
                    p.data = p.data.contiguous(memory_format=self.torch.channels_last)
        return m

    def load_published(self, module, path, what):
        import importlib.util
        spec = importlib.util.spec_from_file_location("fnrt_convert", os.path.join(TOOLS, "fnrt-convert.py"))
        conv = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(conv)
        try:
            sd = conv.state_dict_of(torch_load(self.torch, path), what)
        except conv.ConvertError as e:
            raise TrainError(str(e))
        try:
            module.load_state_dict(sd)
        except RuntimeError as e:
            raise TrainError("%s: does not match the %s at %s: %s"
                             % (path, what, self.widths.describe(), str(e).splitlines()[0]))

    def export(self, stage, module):
        if stage == "coarse":
            atomic_torch_save(self.torch, cpu_state_dict(module), self.path("p1_coarse.pkl"))
        else:
            atomic_torch_save(self.torch, {"model": cpu_state_dict(module)}, self.path("p2_refiner.pt"))

    # -- data --------------------------------------------------------------------
    def open_data(self):
        a = self.args
        torch = self.torch
        est = 0
        t_wait = time.monotonic()
        while True:
            shards = scan_shards(a.data)
            est = sum(sh["count"] for sh in shards)
            if est >= max(a.min_images, a.batch) or time.monotonic() - t_wait >= a.data_wait:
                break
            if self.stop_requested:
                break
            self.log("data: %d complete images so far, waiting for %d ..." % (est, max(a.min_images, a.batch)))
            time.sleep(min(10.0, max(1.0, a.data_wait / 20)))
        if est < a.batch:
            raise TrainError("data: %d complete images in %s (need at least the batch size %d)"
                             % (est, ", ".join(a.data), a.batch))
        dev = self.device
        if a.data_device == "cpu" or not self.cuda:
            dev = torch.device("cpu")
        elif a.data_device == "auto":
            free, _ = torch.cuda.mem_get_info(self.device)
            need = est * Dataset.bytes_per_image() * (1 + a.data_growth)
            if need > a.gpu_data_fraction * free:
                self.log("data: %.1f GB will not fit in %.0f%% of the %.1f GB free GPU memory: host memory"
                         % (need / 1e9, 100 * a.gpu_data_fraction, free / 1e9))
                dev = torch.device("cpu")
        t0 = time.monotonic()
        self.data = Dataset(torch, a.data, dev, self.log)
        self.data.add(shards)
        self.last_scan = time.monotonic()
        self.log("data: %d images from %d shards -> %s in %.1f s (%.2f GB)"
                 % (self.data.n, len(shards), dev, time.monotonic() - t0,
                    self.data.n * Dataset.bytes_per_image() / 1e9))

    def maybe_rescan(self):
        a = self.args
        if a.rescan <= 0 or time.monotonic() - self.last_scan < a.rescan:
            return
        self.last_scan = time.monotonic()
        try:
            pend = self.data.pending()
            if pend:
                n = self.data.add(pend)
                self.log("data: +%d images from %d new shards (now %d)" % (n, len(pend), self.data.n))
        except (TrainError, RuntimeError) as e:  # RuntimeError includes CUDA out of memory
            self.log("data: cannot add new shards (%s); rescans off" % str(e).splitlines()[0])
            a.rescan = 0

    def batch(self, sampler):
        """(rgb float (B,3,S,S) [0,1], normals float (B,3,S,S), valid mask (B,1,S,S))."""
        torch = self.torch
        if sampler.need_epoch():
            self.maybe_rescan()
            sampler.new_epoch(self.data.n)
        idx, flip = sampler.next(torch, self.data.images.device)
        nb = self.cuda and self.data.images.device.type == "cpu"
        img = self.data.images.index_select(0, idx).to(self.device, non_blocking=nb)
        nor = self.data.normals.index_select(0, idx).to(self.device, non_blocking=nb)
        lab = self.data.masks.index_select(0, idx).to(self.device, non_blocking=nb)
        flip = flip.to(self.device)
        # NHWC -> NCHW views (channels_last memory), then the flips
        rgb = img.permute(0, 3, 1, 2).float().mul_(1.0 / 255.0)
        n = nor.permute(0, 3, 1, 2).float().mul_(1.0 / 32767.0)
        lab = lab.unsqueeze(1)
        f4 = flip.view(-1, 1, 1, 1)
        rgb = torch.where(f4, rgb.flip(3), rgb)
        if getattr(self, "_sign", None) is None:  # made once: a host->GPU copy syncs
            self._sign = torch.tensor([-1.0, 1.0, 1.0], device=self.device).view(1, 3, 1, 1)
        n = torch.where(f4, n.flip(3) * self._sign, n)
        lab = torch.where(f4, lab.flip(3), lab)
        norm = torch.sqrt((n * n).sum(dim=1, keepdim=True))
        valid = (lab > 0) & (norm > 0.5)
        n = n / norm.clamp(min=1e-6)
        if not self.channels_last:
            rgb, n = rgb.contiguous(), n.contiguous()
        return rgb, n, valid

    # -- loss / eval --------------------------------------------------------------
    def loss(self, out, target, valid):
        torch = self.torch
        out = out.float()
        p = out / torch.sqrt((out * out).sum(dim=1, keepdim=True)).clamp(min=LOSS_NORM_EPS)
        cos = (p * target).sum(dim=1, keepdim=True)
        l1 = (p - target).abs().sum(dim=1, keepdim=True)
        per = (1.0 - cos) + L1_WEIGHT * l1
        m = valid.float()
        return (per * m).sum() / m.sum().clamp(min=1.0)

    def load_eval(self):
        a = self.args
        if not a.eval:
            return
        rgb, nor, mask, names = load_eval_set(a.eval, a.eval_max, self.path("eval-cache.npz"), self.log)
        t = self.torch
        self.eval_data = (t.from_numpy(rgb).to(self.device), t.from_numpy(nor).to(self.device),
                          t.from_numpy(mask).to(self.device))

    def evaluate(self, coarse, refiner=None):
        """Mean / median angular error (deg) over the eval set's face pixels of the
        exemplar (refiner None) or of the final normals."""
        if self.eval_data is None:
            return None
        torch = self.torch
        ft = self.ft
        rgb_all, nor_all, mask_all = self.eval_data
        modes = [(m, m.training) for m in (coarse, refiner) if m is not None]
        for m, _ in modes:
            m.eval()
        errs = []
        with torch.no_grad():
            for a in range(0, rgb_all.shape[0], self.args.eval_batch):
                rgb = rgb_all[a:a + self.args.eval_batch]
                if self.channels_last:
                    rgb = rgb.contiguous(memory_format=torch.channels_last)
                ex = ft.exemplar_from_coarse(coarse(rgb.mean(dim=1, keepdim=True)).float())
                pred = ex if refiner is None else ft.l2_normalise(refiner(rgb, ex).float())
                cos = (pred * nor_all[a:a + self.args.eval_batch]).sum(dim=1, keepdim=True)
                ang = torch.rad2deg(torch.acos(cos.clamp(-1.0, 1.0)))
                errs.append(ang[mask_all[a:a + self.args.eval_batch]].double())
        for m, was in modes:
            m.train(was)
        e = torch.cat(errs)
        if e.numel() == 0:
            return None
        return float(e.mean()), float(e.median())

    # -- one stage ------------------------------------------------------------------
    def lr_at(self, step, planned):
        a = self.args
        lr = a.lr if self.stage == "coarse" else (a.lr_refiner or a.lr)
        f = min(1.0, (step + 1) / float(max(1, a.warmup)))
        if planned:
            f *= 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / float(planned))))
        return lr * f

    def save_checkpoint(self, model, opt, sampler, step, planned, done):
        torch = self.torch
        st = {
            "stage": self.stage, "step": step, "planned_steps": planned, "done": done,
            "widths": list(self.widths.vgg) + [self.widths.coarse_d, self.widths.guide, self.widths.style],
            "model": cpu_state_dict(model), "optimizer": opt.state_dict(),
            "sampler": sampler.state(),
            "rng": {"torch": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if self.cuda else None,
                    "numpy": np.random.get_state()},
        }
        atomic_torch_save(torch, st, self.path("%s-last.pt" % self.stage))
        self.export(self.stage, model)
        self.status[self.stage].update({"step": step, "planned_steps": planned, "done": done,
                                        "trained": step > 0})
        self.write_status()

    def run_stage(self, stage, deadline, coarse_frozen=None):
        torch = self.torch
        a = self.args
        self.stage = stage
        model = self.make_coarse() if stage == "coarse" else self.make_refiner()
        ckpt_path = self.path("%s-last.pt" % stage)
        init = a.init_coarse if stage == "coarse" else a.init_refiner
        if init and not (a.resume and os.path.isfile(ckpt_path)):
            self.load_published(model, init, stage)
            self.log("%s: initialised from %s" % (stage, init))
        model = self.to_device(model)
        opt = torch.optim.Adam(model.parameters(), lr=self.lr_at(0, None), betas=(0.9, 0.999))
        sampler = Sampler(a.seed + (10 if stage == "coarse" else 11), a.batch)
        step, planned = 0, a.steps or None
        if a.resume and os.path.isfile(ckpt_path):
            st = torch_load(torch, ckpt_path)
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["optimizer"])
            sampler.load_state(st["sampler"])
            torch.set_rng_state(st["rng"]["torch"])
            if self.cuda and st["rng"]["cuda"] is not None:
                torch.cuda.set_rng_state_all(st["rng"]["cuda"])
            np.random.set_state(st["rng"]["numpy"])
            step, planned = int(st["step"]), st["planned_steps"]
            self.log("%s: resumed at step %d (planned %s%s)" % (stage, step, planned,
                                                                ", finished" if st["done"] else ""))
            if st["done"]:
                return model
        elif a.resume:
            self.log("%s: no checkpoint %s, starting fresh" % (stage, ckpt_path))
        if not os.path.isfile(self.path("p1_coarse.pkl" if stage == "coarse" else "p2_refiner.pt")):
            self.export(stage, model)
        if planned:
            self.write_config({stage: planned})
        model.train()
        self.log("%s: %d parameters, batch %d, budget %s, %s%s"
                 % (stage, self.ft.count_parameters(model), a.batch, _fmt_time(deadline - time.monotonic()),
                    "bf16 autocast" if self.amp else "float32", ", channels_last" if self.channels_last else ""))

        if stage == "refiner" and self.eval_data is not None:
            r = self.evaluate(coarse_frozen)
            if r:
                self.log("refiner: exemplar (coarse) eval error mean %.2f deg, median %.2f deg" % r)

        def forward_loss(rgb, n, valid):
            with self.autocast():
                if stage == "coarse":
                    out = model(rgb.mean(dim=1, keepdim=True))
                    target = self.ft.coarse_target_from_normals(n)
                else:
                    with torch.no_grad():
                        ex = self.ft.exemplar_from_coarse(
                            coarse_frozen(rgb.mean(dim=1, keepdim=True)).float())
                    out = model(rgb, ex)
                    target = n
            return self.loss(out, target, valid)

        params = [p for p in model.parameters()]
        loss_sum = torch.zeros((), device=self.device)
        loss_n = 0
        first_loss = None
        t_last_print = t_last_ckpt = t_last_eval = time.monotonic()
        imgs_since = 0
        t_meas = None            # (step, time) at the start of the step-time measurement
        step_time = None
        ckpt_cost, eval_cost = 2.0, (5.0 if self.eval_data is not None else 0.0)
        start_step = step
        stop_reason = "planned steps done"
        # planned steps estimated from the time budget: once after a short measurement and
        # once more (re-planned) after 30% of the stage budget, from the sustained rate,
        # which includes evaluations, checkpoints and data rescans.  Never on a resume.
        replan_at = None
        if planned is None and deadline != float("inf"):
            t_stage = time.monotonic()
            replan_at = t_stage + 0.3 * (deadline - t_stage)
        while True:
            if planned is not None and step >= planned:
                break
            now = time.monotonic()
            reserve = ckpt_cost * 2 + (step_time or 1.0) * 1.5 + eval_cost + a.reserve_seconds
            if now + reserve >= deadline:
                stop_reason = "time budget"
                break
            if self.stop_requested:
                stop_reason = "signal"
                break
            if a.stop_after and step - start_step >= a.stop_after:
                stop_reason = "--stop-after"
                break
            lr = self.lr_at(step, planned)
            for g in opt.param_groups:
                g["lr"] = lr
            rgb, n, valid = self.batch(sampler)
            loss = forward_loss(rgb, n, valid)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if a.clip > 0:
                torch.nn.utils.clip_grad_norm_(params, a.clip)
            opt.step()
            loss_sum += loss.detach()
            loss_n += 1
            step += 1
            imgs_since += a.batch

            # step time: measured from step 5 on, over >= 20 steps and >= 3 s (or 10 s)
            if step_time is None:
                if step - start_step == 5:
                    self.sync()
                    t_meas = (step, time.monotonic())
                elif t_meas is not None and (
                        (step - t_meas[0] >= 20 and time.monotonic() - t_meas[1] >= 3)
                        or time.monotonic() - t_meas[1] >= 10):
                    self.sync()
                    step_time = (time.monotonic() - t_meas[1]) / (step - t_meas[0])
                    if planned is None:
                        left = deadline - time.monotonic() - (ckpt_cost * 2 + eval_cost + a.reserve_seconds)
                        # evaluations and checkpoints cost time too
                        overhead = 1.0 - (eval_cost / (a.eval_minutes * 60.0) if eval_cost else 0.0) \
                            - ckpt_cost / (a.ckpt_minutes * 60.0)
                        planned = step + max(1, int(left / step_time * max(0.5, overhead) * 0.95))
                        self.write_config({stage: planned})
                    self.log("%s: %.1f ms/step (%.0f images/s), planned steps %d"
                             % (stage, 1000 * step_time, a.batch / step_time, planned))
            elif replan_at is not None and time.monotonic() >= replan_at:
                replan_at = None
                self.sync()
                now = time.monotonic()
                sustained = (now - t_meas[1]) / max(1, step - t_meas[0])
                left = deadline - now - (ckpt_cost * 2 + eval_cost + a.reserve_seconds)
                new = step + max(1, int(left / sustained * 0.97))
                if abs(new - planned) > 0.02 * planned:
                    self.log("%s: sustained %.1f ms/step: planned steps %d -> %d"
                             % (stage, 1000 * sustained, planned, new))
                    planned = new
                    self.write_config({stage: planned})

            now = time.monotonic()
            if now - t_last_print >= a.print_seconds or (planned is not None and step >= planned):
                avg = float(loss_sum) / max(1, loss_n)
                if first_loss is None:
                    first_loss = avg
                self.log("%s: step %d/%s loss %.4f lr %.2e %.1f img/s"
                         % (stage, step, planned if planned else "?", avg, lr,
                            imgs_since / max(1e-9, now - t_last_print)))
                loss_sum.zero_()
                loss_n = 0
                imgs_since = 0
                t_last_print = time.monotonic()
            if self.eval_data is not None and now - t_last_eval >= a.eval_minutes * 60.0:
                t0 = time.monotonic()
                r = self.evaluate(coarse_frozen if stage == "refiner" else model,
                                  model if stage == "refiner" else None)
                eval_cost = time.monotonic() - t0
                if r:
                    self.log("%s: step %d eval %s error mean %.2f deg, median %.2f deg (%.1f s)"
                             % (stage, step, "exemplar" if stage == "coarse" else "normals",
                                r[0], r[1], eval_cost))
                t_last_eval = time.monotonic()
                t_last_print += eval_cost
            if now - t_last_ckpt >= a.ckpt_minutes * 60.0:
                t0 = time.monotonic()
                self.save_checkpoint(model, opt, sampler, step, planned, False)
                ckpt_cost = max(1.0, time.monotonic() - t0)
                t_last_ckpt = time.monotonic()
                t_last_print += ckpt_cost

        if loss_n:
            self.log("%s: step %d/%s loss %.4f (last %d steps)"
                     % (stage, step, planned, float(loss_sum) / loss_n, loss_n))
        done = stop_reason == "planned steps done"
        self.save_checkpoint(model, opt, sampler, step, planned, done)
        self.log("%s: stopped at step %d (%s); saved %s and %s"
                 % (stage, step, stop_reason, self.path("%s-last.pt" % stage),
                    self.path("p1_coarse.pkl" if stage == "coarse" else "p2_refiner.pt")))
        if self.eval_data is not None and (time.monotonic() + eval_cost < deadline + a.reserve_seconds
                                           or stop_reason == "planned steps done"):
            r = self.evaluate(coarse_frozen if stage == "refiner" else model,
                              model if stage == "refiner" else None)
            if r:
                self.log("%s: final eval %s error mean %.2f deg, median %.2f deg"
                         % (stage, "exemplar" if stage == "coarse" else "normals", r[0], r[1]))
                self.status[stage]["eval_mean_deg"] = round(r[0], 3)
                self.status[stage]["eval_median_deg"] = round(r[1], 3)
                self.write_status()
        model.eval()
        return model

    # -- whole run -----------------------------------------------------------------
    def run(self):
        a = self.args
        self.log("fnrt train: stage %s, width %s (%s), device %s%s, budget %s"
                 % (a.stage, a.width, self.widths.describe(), self.device,
                    " (%s)" % self.torch.cuda.get_device_name(self.device) if self.cuda else "",
                    _fmt_time(self.deadline - time.monotonic()) if a.minutes > 0 else "none"))
        self.write_config()
        # initial weights first, so that a convertible pair exists from the start
        if not os.path.isfile(self.path("p1_coarse.pkl")) and a.stage in ("coarse", "both"):
            self.export("coarse", self.make_coarse())
        if not os.path.isfile(self.path("p2_refiner.pt")) and a.stage in ("coarse", "both"):
            self.export("refiner", self.make_refiner())
        self.write_status()
        self.open_data()
        self.load_eval()
        t_ready = time.monotonic()
        coarse = None
        if a.stage in ("coarse", "both"):
            if a.stage == "both" and not self.status["coarse"]["done"]:
                d = t_ready + a.split * (self.deadline - t_ready)
            else:
                d = self.deadline
            coarse = self.run_stage("coarse", d)
            if self.stop_requested or not self.status["coarse"]["done"] and a.stop_after:
                return 0
        if a.stage in ("refiner", "both"):
            if coarse is None:
                src = a.coarse_weights or self.path("p1_coarse.pkl")
                if not os.path.isfile(src):
                    raise TrainError("refiner stage: no coarse weights %s (train --stage coarse first "
                                     "or give --coarse-weights)" % src)
                coarse = self.make_coarse()
                self.load_published(coarse, src, "coarse")
                self.log("refiner: frozen coarse net from %s" % src)
                coarse = self.to_device(coarse)
            coarse.eval()
            for p in coarse.parameters():
                p.requires_grad_(False)
            self.run_stage("refiner", self.deadline, coarse_frozen=coarse)
        self.log("done: %s, %s" % (self.path("p1_coarse.pkl"), self.path("p2_refiner.pt")))
        return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Train fnrt's reduced-width FNR2R on synthetic face shards.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring (head of tools/train.py) for data format, loss, "
               "schedule, seeds and outputs.")
    g = ap.add_argument_group("data")
    g.add_argument("--data", action="append", required=True, metavar="DIR",
                   help="shard directory (repeatable); every complete shard is used")
    g.add_argument("--eval", metavar="EVALDIR", help="PNG evaluation set")
    g.add_argument("--eval-max", type=int, default=64, help="evaluate on the first N images (0: all)")
    g.add_argument("--eval-batch", type=int, default=16)
    g.add_argument("--min-images", type=int, default=0,
                   help="wait until this many images are complete (data generated on the fly)")
    g.add_argument("--data-wait", type=float, default=0.0, metavar="S",
                   help="wait at most S seconds for --min-images (default 0)")
    g.add_argument("--rescan", type=float, default=0.0, metavar="S",
                   help="look for new shards every S seconds (at epoch boundaries); 0 = never")
    g.add_argument("--data-device", choices=("auto", "cuda", "cpu"), default="auto",
                   help="where the data set lives (auto: on the GPU if it fits)")
    g.add_argument("--gpu-data-fraction", type=float, default=0.5,
                   help="auto: use the GPU if the data needs at most this share of free memory")
    g.add_argument("--data-growth", type=float, default=0.0,
                   help="auto: expected growth of the data set (with --rescan), e.g. 1.0 = double")
    g = ap.add_argument_group("model")
    g.add_argument("--width", choices=("quarter", "tiny", "full"), default="quarter")
    g.add_argument("--coarse-d", type=int, default=0, help="override the preset's coarse d")
    g.add_argument("--vgg-widths", default="", help="override, e.g. 16,32,64,128,128")
    g.add_argument("--guide-width", type=int, default=0)
    g.add_argument("--style-dim", type=int, default=0)
    g.add_argument("--init-coarse", metavar="P1", help="start the coarse net from this state_dict")
    g.add_argument("--init-refiner", metavar="P2", help="start the refiner from this checkpoint")
    g.add_argument("--coarse-weights", metavar="P1",
                   help="frozen coarse net for --stage refiner (default CKPTDIR/p1_coarse.pkl)")
    g = ap.add_argument_group("training")
    g.add_argument("--out", required=True, metavar="CKPTDIR")
    g.add_argument("--stage", choices=("coarse", "refiner", "both"), default="both")
    g.add_argument("--minutes", type=float, default=0.0, help="total wall-time budget (0: none)")
    g.add_argument("--split", type=float, default=0.45, help="coarse share of the budget (--stage both)")
    g.add_argument("--steps", type=int, default=0,
                   help="planned steps per stage (default: estimated from the time budget)")
    g.add_argument("--batch", type=int, default=0, help="batch size (default 96 on CUDA, 8 on CPU)")
    g.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (coarse, and refiner)")
    g.add_argument("--lr-refiner", type=float, default=0.0, help="refiner peak learning rate (default --lr)")
    g.add_argument("--warmup", type=int, default=50, help="linear warm-up steps")
    g.add_argument("--clip", type=float, default=2.0, help="gradient norm clip (0: off)")
    g.add_argument("--seed", type=int, default=1234)
    g.add_argument("--resume", action="store_true", help="continue from CKPTDIR/<stage>-last.pt")
    g.add_argument("--stop-after", type=int, default=0, metavar="N",
                   help="stop each stage after N steps of this invocation (the schedule is "
                        "unchanged; continue with --resume)")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    g.add_argument("--threads", type=int, default=2, help="CPU threads (CPU training)")
    g.add_argument("--no-amp", action="store_true", help="float32 on CUDA too")
    g.add_argument("--no-channels-last", action="store_true")
    g.add_argument("--cudnn-benchmark", action="store_true",
                   help="cuDNN algorithm search (on an H100 it cost ~20 s at the refiner's start "
                        "and gave no faster steps at quarter width, so it is off by default)")
    g = ap.add_argument_group("reporting")
    g.add_argument("--print-seconds", type=float, default=20.0)
    g.add_argument("--eval-minutes", type=float, default=2.0)
    g.add_argument("--ckpt-minutes", type=float, default=2.0)
    g.add_argument("--reserve-seconds", type=float, default=3.0,
                   help="extra time kept free before each stage's deadline")
    a = ap.parse_args(argv)
    if a.split <= 0 or a.split >= 1:
        ap.error("--split must be in (0, 1)")
    if a.batch < 0 or a.steps < 0 or a.minutes < 0:
        ap.error("negative --batch/--steps/--minutes")
    if a.ckpt_minutes <= 0 or a.eval_minutes <= 0 or a.print_seconds <= 0:
        ap.error("--ckpt-minutes, --eval-minutes and --print-seconds must be positive")
    return a


def main(argv=None):
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        print("train: PyTorch is needed", file=sys.stderr)
        return 2
    if args.batch == 0:
        cuda = torch.cuda.is_available() if args.device == "auto" else args.device.startswith("cuda")
        args.batch = 96 if cuda else 8
    if args.batch < 2:
        print("train: --batch must be >= 2 (BatchNorm)", file=sys.stderr)
        return 2
    try:
        tr = Trainer(args)
    except TrainError as e:
        print("train: %s" % e, file=sys.stderr)
        return 2

    def on_signal(signum, frame):
        if tr.stop_requested:
            raise KeyboardInterrupt
        tr.stop_requested = True
        tr.log("signal %d: stopping after this step and saving" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return tr.run()
    except TrainError as e:
        tr.log("error: %s" % e)
        print("train: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
