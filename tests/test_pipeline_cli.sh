#!/usr/bin/env bash
# fnrt plan and fnrt bench on the tiny model: plan's FLOPs agree with fnrt info, its
# stages and chains are listed; bench runs every section (layers, latency, stream, trace,
# high resolution) and writes a valid Chrome trace; infer --size input on a large image
# uses the high-resolution path.  No timing assertions.
set -euo pipefail
FNRT=${FNRT_CLI:?}
DATA=${FNRT_TEST_DATA:?}
PY=${FNRT_PYTHON:-/usr/bin/python3}
MODEL=$DATA/fnr2r-tiny.safetensors
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0

"$FNRT" info "$MODEL" > "$T/info.txt"
"$FNRT" plan -m "$MODEL" -v --size 640 > "$T/plan.txt"
cat "$T/plan.txt"
"$PY" - "$T/info.txt" "$T/plan.txt" <<'PY'
import re, sys
info, plan = open(sys.argv[1]).read(), open(sys.argv[2]).read()
g_info = float(re.search(r"GFLOP/image:\s+([\d.]+)", info).group(1))
g_plan = float(re.search(r"GFLOP/image:\s+([\d.]+)", plan).group(1))
assert abs(g_info - g_plan) < 1e-3, (g_info, g_plan)
# per-stage GFLOP in the stage table add up to the total, and match fnrt info's stages
st_info = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\s+(\w+)\s+\d+ ops\s+([\d.]+) GFLOP", info, re.M)}
rows = re.findall(r"^\s+\d+\s+(\w+)\s+\d+\s+\d+\s+([\d.]+)\s", plan, re.M)
assert rows, "no stage rows"
st_plan = {n: float(g) for n, g in rows}
assert st_plan.keys() == st_info.keys(), (st_plan, st_info)
for n in st_info:
    assert abs(st_info[n] - st_plan[n]) < 2e-3, (n, st_info[n], st_plan[n])
assert abs(sum(st_plan.values()) - g_info) < 5e-3
assert re.search(r"encoder\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+ MiB\s+input\s", plan), "encoder must wait only for the input"
assert "decoder" in plan and "guide,encoder" in plan
assert plan.count("band:") >= 6, "tiled chains with bands and halos"
assert "high resolution 640x640" in plan and "9 tiles" in plan
print("plan consistent with info: %.3f GFLOP" % g_plan)
PY
pass=$((pass + 1))

"$FNRT" bench -m "$MODEL" -n 2 --stream 4 --trace "$T/trace.json" > "$T/bench.txt"
cat "$T/bench.txt"
for k in "peak:" "start-up:" "per layer" "per stage" "latency:" "p95" "max" "request latency in the stream" "stream:" "peak RSS:" "trace:"; do
  grep -q "$k" "$T/bench.txt" || { echo "bench output lacks '$k'"; exit 1; }
done
"$PY" - "$T/trace.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
ev = [e for e in t["traceEvents"] if e.get("ph") == "X"]
assert len(ev) == 4 * 4, len(ev)  # 4 images x 4 stages
assert {e["name"] for e in ev} == {"coarse", "guide", "encoder", "decoder"}
assert all(e["dur"] >= 0 for e in ev)
print("trace: %d stage events" % len(ev))
PY
pass=$((pass + 1))
# tools/bench-compare.py reads fnrt bench's latency line: its parser must follow the format
"$PY" - "$T/bench.txt" "$(dirname "$0")/../tools/bench-compare.py" <<'PY'
import importlib.util, re, sys
out = open(sys.argv[1]).read()
spec = importlib.util.spec_from_file_location("bench_compare", sys.argv[2])
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)
p50, mn = bc.parse_latency(out)
line = re.search(r"^latency:.*$", out, re.M).group(0)
assert "p50 %.3f s" % p50 in line and "min %.3f s" % mn in line, (p50, mn, line)
assert 0 < mn <= p50, (mn, p50)
print("bench-compare parses the latency line: p50 %.3f s, min %.3f s" % (p50, mn))
PY
pass=$((pass + 1))

"$FNRT" bench -m "$MODEL" -n 1 --size 512 --no-peak > "$T/bench-hr.txt"
cat "$T/bench-hr.txt"
grep -q "high-res:  512x512 in 9 tiles" "$T/bench-hr.txt"
"$FNRT" bench -b ref -m "$MODEL" -n 1 --no-layers --stream 2 > "$T/bench-ref.txt"
grep -q "stream:" "$T/bench-ref.txt"
pass=$((pass + 1))

# infer --size input on a 600x520 image: the high-resolution path, output at input size
"$PY" - "$DATA/face-256.png" "$T/big.png" <<'PY'
import sys, zlib, struct
# nearest-neighbour upscale of the PNG with the standard library only: decode via zlib
def read_png(p):
    d = open(p, "rb").read(); assert d[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat, w = 8, b"", None
    while i < len(d):
        n, = struct.unpack(">I", d[i:i+4]); typ = d[i+4:i+8]; body = d[i+8:i+8+n]; i += 12 + n
        if typ == b"IHDR":
            w, h, bd, ct = struct.unpack(">IIBB", body[:10]); assert bd == 8 and ct == 2
        elif typ == b"IDAT": idat += body
    raw = zlib.decompress(idat); stride = 3 * w; rows = []; prev = bytearray(stride); p = 0
    for y in range(h):
        f = raw[p]; line = bytearray(raw[p+1:p+1+stride]); p += 1 + stride
        for x in range(stride):
            a = line[x-3] if x >= 3 else 0; b = prev[x]; c = prev[x-3] if x >= 3 else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line); prev = line
    return w, h, rows
w, h, rows = read_png(sys.argv[1])
W, H = 600, 520
out = b"".join(b"\x00" + bytes(b for x in range(W) for b in rows[y * h // H][3 * (x * w // W):3 * (x * w // W) + 3]) for y in range(H))
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
open(sys.argv[2], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(out)) + chunk(b"IEND", b""))
PY
"$FNRT" infer -m "$MODEL" --size input -o "$T/big.npy" "$T/big.png"
"$PY" - "$T/big.npy" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1])
assert a.shape == (520, 600, 3), a.shape
n = np.linalg.norm(a.astype(np.float64), axis=-1)
assert np.isfinite(a).all() and abs(n - 1).max() < 1e-4
print("infer --size input 600x520: ok")
PY
pass=$((pass + 1))
echo "pipeline cli: $pass passed, 0 failed"
