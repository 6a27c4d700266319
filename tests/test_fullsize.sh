#!/usr/bin/env bash
# The full published FNR2R size (d=64, VGG13 widths 64..512, style 256: ~77 M parameters,
# ~77 GFLOP per image) loads and runs on OpenCL, and agrees with the reference backend.
# The model is random (tools/random-model.py, numpy) and made once per build directory.
set -euo pipefail
FNRT=${FNRT_CLI:?}
SRC=${FNRT_SOURCE_DIR:?}
BIN=${FNRT_BINARY_DIR:?}
DATA=${FNRT_TEST_DATA:?}
PY=${FNRT_PYTHON:-/usr/bin/python3}
MODEL=$BIN/fnr2r-full-random.safetensors
if [ ! -f "$MODEL" ]; then
  "$PY" "$SRC/tools/random-model.py" --seed 1 -o "$MODEL.tmp"
  mv "$MODEL.tmp" "$MODEL"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$FNRT" info "$MODEL" | tee "$T/info.txt"
params=$(awk '/^parameters:/ {print $2}' "$T/info.txt")
gflop=$(awk '/^GFLOP\/image:/ {print $2}' "$T/info.txt")
"$PY" - "$params" "$gflop" <<'PY'
import sys
p, g = int(sys.argv[1]), float(sys.argv[2])
print("params %.2f M, %.1f GFLOP/image" % (p / 1e6, g))
assert 70e6 < p < 85e6, p
assert 70 < g < 85, g
PY
/usr/bin/time -f "opencl: %e s, %M KiB peak RSS" "$FNRT" infer -m "$MODEL" -o "$T/cl.npy" "$DATA/face-256.png"
/usr/bin/time -f "ref: %e s, %M KiB peak RSS" "$FNRT" infer -b ref -m "$MODEL" -o "$T/ref.npy" "$DATA/face-256.png"
"$PY" - "$T/cl.npy" "$T/ref.npy" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
assert a.shape == b.shape == (256, 256, 3)
assert np.isfinite(a).all()
n = np.linalg.norm(a, axis=-1)
assert abs(n - 1).max() < 1e-4, abs(n - 1).max()
e = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))
print("opencl vs ref at full size: mean %.5f max %.5f deg" % (e.mean(), e.max()))
assert e.mean() <= 0.01 and e.max() <= 0.1
PY
echo "fullsize: 1 passed, 0 failed"
