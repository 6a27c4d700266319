#!/usr/bin/python3
"""Reference pixels for fnrt's PNG reader (tests/test_png.c), decoded without libpng.

For every valid PngSuite file in tests/data/pngsuite/ (names not starting with 'x') this writes
tests/data/pngsuite/ref/<name>.npy: float32, shape (3, H, W), value = sample / (2^depth - 1) of
the file's own bit depth (palette entries / 255), gray replicated to RGB, alpha and tRNS ignored,
no gamma correction.

Two independent decoders are used and must agree:
  * PIL (Pillow 9.x).  It is exact for 1/2/4/8-bit files and 16-bit gray (mode 'I'), but it
    reduces 16-bit RGB, RGBA and gray+alpha to 8 bits.
  * A small decoder written here: chunk walk with CRC check, zlib, the five PNG filters, Adam7
    de-interlacing, sample unpacking.  It is exact for every depth.
Where PIL is exact the two must match bit for bit (this checks the small decoder).  For the
16-bit colour/gray+alpha files the small decoder's samples are written, and PIL's 8-bit values
must equal their high byte (PIL keeps the most significant byte).

The script also writes tests/data/resize/*.npy: a (3, 31, 23) test pattern resized with
PIL's BILINEAR filter in float mode 'F', one channel at a time, to several sizes; test_png.c
rebuilds the same pattern and checks fnrt_image_resize against these.

Usage: /usr/bin/python3 tools/make-pngsuite-ref.py [tests/data]
"""
import os
import struct
import sys
import warnings
import zlib

import numpy as np
from PIL import Image

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]  # (x0, y0, dx, dy)
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(data, pos, width, height, bits_per_pixel):
    """Unfilters one (sub)image starting at data[pos]; returns (rows, new pos)."""
    row_bytes = (width * bits_per_pixel + 7) // 8
    bpp = max(1, bits_per_pixel // 8)
    prev = bytearray(row_bytes)
    rows = []
    for _ in range(height):
        ftype = data[pos]
        cur = bytearray(data[pos + 1:pos + 1 + row_bytes])
        if len(cur) != row_bytes:
            raise ValueError("not enough image data")
        pos += 1 + row_bytes
        for i in range(row_bytes):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            elif ftype == 4:
                pred = paeth(a, b, c)
            else:
                raise ValueError("bad filter type %d" % ftype)
            cur[i] = (cur[i] + pred) & 0xFF
        rows.append(cur)
        prev = cur
    return rows, pos


def unpack(row, width, channels, depth):
    """Samples of one row as a list of width*channels ints."""
    n = width * channels
    if depth == 8:
        return list(row[:n])
    if depth == 16:
        return [row[2 * i] << 8 | row[2 * i + 1] for i in range(n)]
    per_byte = 8 // depth
    mask = (1 << depth) - 1
    out = []
    for i in range(n):
        byte = row[i // per_byte]
        shift = 8 - depth * (i % per_byte + 1)
        out.append((byte >> shift) & mask)
    return out


def decode_raw(path):
    """Returns (samples int array (H, W, channels), depth, color_type, palette or None)."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("bad signature")
    pos = 8
    idat = bytearray()
    ihdr = None
    palette = None
    while pos < len(blob):
        length, ctype = struct.unpack(">I4s", blob[pos:pos + 8])
        body = blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise ValueError("CRC error in %r" % ctype)
        pos += 12 + length
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
    width, height, depth, color_type, _, _, interlace = ihdr
    channels = CHANNELS[color_type]
    bits_pp = channels * depth
    data = zlib.decompress(bytes(idat))
    out = np.zeros((height, width, channels), dtype=np.int64)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    dpos = 0
    for x0, y0, dx, dy in passes:
        pw = (width - x0 + dx - 1) // dx if width > x0 else 0
        ph = (height - y0 + dy - 1) // dy if height > y0 else 0
        if pw == 0 or ph == 0:
            continue  # empty passes have no filter bytes at all
        rows, dpos = unfilter(data, dpos, pw, ph, bits_pp)
        for j, row in enumerate(rows):
            s = np.array(unpack(row, pw, channels, depth), dtype=np.int64).reshape(pw, channels)
            out[y0 + j * dy, x0::dx][:pw] = s
    return out, depth, color_type, palette


def to_float(samples, maxval):
    return np.asarray(samples, dtype=np.float32) / np.float32(maxval)


def ref_from_raw(samples, depth, color_type, palette):
    """(3, H, W) float32 reference from raw samples."""
    if color_type == 3:
        rgb = to_float(palette[samples[:, :, 0]], 255)
    elif color_type in (0, 4):
        g = to_float(samples[:, :, 0], (1 << depth) - 1)
        rgb = np.stack([g, g, g], axis=-1)
    else:
        rgb = to_float(samples[:, :, :3], (1 << depth) - 1)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32)


def ref_from_pil(path, depth, color_type):
    """(3, H, W) float32 from PIL, or None where PIL is not exact; also PIL's 8-bit RGB."""
    im = Image.open(path)
    im.load()
    exact = not (depth == 16 and color_type in (2, 4, 6))
    if im.mode == "P":
        rgb = to_float(np.array(im.convert("RGB")), 255)
    elif im.mode == "1":
        g = to_float(np.array(im), 1)  # booleans
        rgb = np.stack([g, g, g], axis=-1)
    elif im.mode in ("L", "LA"):
        # PIL scales 2- and 4-bit gray to 0..255 by bit replication: v/255 == s/(2^d-1)
        g = to_float(np.array(im.convert("L")), 255)
        rgb = np.stack([g, g, g], axis=-1)
    elif im.mode in ("I", "I;16", "I;16B"):
        g = to_float(np.array(im).astype(np.int64), 65535)
        rgb = np.stack([g, g, g], axis=-1)
    elif im.mode in ("RGB", "RGBA"):
        rgb = to_float(np.array(im)[:, :, :3], 255)
    else:
        raise ValueError("%s: unexpected PIL mode %s" % (path, im.mode))
    pil8 = np.array(im.convert("RGB")) if not exact else None
    ref = np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32)
    return (ref if exact else None), pil8


def make_png_refs(suite):
    ref_dir = os.path.join(suite, "ref")
    os.makedirs(ref_dir, exist_ok=True)
    n_pil = n_raw = 0
    for name in sorted(os.listdir(suite)):
        if not name.endswith(".png") or name.startswith("x"):
            continue
        path = os.path.join(suite, name)
        samples, depth, color_type, palette = decode_raw(path)
        raw_ref = ref_from_raw(samples, depth, color_type, palette)
        pil_ref, pil8 = ref_from_pil(path, depth, color_type)
        if pil_ref is not None:
            if not np.array_equal(pil_ref, raw_ref):
                raise SystemExit("%s: PIL and the script's decoder disagree" % name)
            ref = pil_ref
            n_pil += 1
        else:
            if color_type == 4:
                hi = np.stack([samples[:, :, 0] >> 8] * 3, axis=-1)
            else:
                hi = samples[:, :, :3] >> 8
            if not np.array_equal(hi, pil8.astype(np.int64)):
                raise SystemExit("%s: PIL's 8-bit values are not the high bytes" % name)
            ref = raw_ref
            n_raw += 1
        np.save(os.path.join(ref_dir, name[:-4] + ".npy"), ref)
    print("pngsuite: %d references from PIL (cross-checked), %d from raw 16-bit samples"
          % (n_pil, n_raw))


# sizes (h, w) the pattern is resized to: down, up, mixed, degenerate
RESIZE_SIZES = [(7, 13), (45, 50), (1, 1), (31, 5), (64, 64), (17, 23), (100, 3), (2, 40)]
PATTERN_H, PATTERN_W = 31, 23


def resize_pattern():
    """Must match test_png.c: ((x * 37 + y * 101 + c * 53) % 97) / 96 as float32."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(PATTERN_H), np.arange(PATTERN_W),
                          indexing="ij")
    return (((x * 37 + y * 101 + c * 53) % 97).astype(np.float32) / np.float32(96))


def make_resize_refs(data_dir):
    out_dir = os.path.join(data_dir, "resize")
    os.makedirs(out_dir, exist_ok=True)
    src = resize_pattern()
    for h, w in RESIZE_SIZES:
        planes = [np.array(Image.fromarray(src[ch], mode="F").resize((w, h), Image.BILINEAR))
                  for ch in range(3)]
        out = np.stack(planes).astype(np.float32)
        np.save(os.path.join(out_dir, "pattern-%dx%d.npy" % (h, w)), out)
    print("resize: %d references" % len(RESIZE_SIZES))


def main():
    # PIL warns about palette tRNS on convert("RGB"); dropping transparency is the point here
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
    make_png_refs(os.path.join(data_dir, "pngsuite"))
    make_resize_refs(data_dir)


if __name__ == "__main__":
    main()
