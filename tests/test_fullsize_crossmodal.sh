#!/usr/bin/env bash
# The cross-modal network at the full published size (ResNet-18 encoders, 768/640/320/320/192
# decoder: ~30.7 M parameters, ~56 GFLOP per image in image mode) loads and runs on OpenCL in
# both modes and agrees with the reference backend.  The model is random
# (tools/random-model.py --architecture crossmodal, numpy), made once per build directory.
set -euo pipefail
FNRT=${FNRT_CLI:?}
SRC=${FNRT_SOURCE_DIR:?}
BIN=${FNRT_BINARY_DIR:?}
DATA=${FNRT_TEST_DATA:?}
PY=${FNRT_PYTHON:-/usr/bin/python3}
MODEL=$BIN/crossmodal-full-random.safetensors
if [ ! -f "$MODEL" ]; then
  "$PY" "$SRC/tools/random-model.py" --architecture crossmodal --seed 1 -o "$MODEL.tmp"
  mv "$MODEL.tmp" "$MODEL"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for mode in image normal-ae; do
  in=$DATA/face-256.png
  [ "$mode" = normal-ae ] && in=$DATA/normals-256.png
  "$FNRT" info --mode "$mode" "$MODEL" | tee "$T/info.txt"
  params=$(awk '/^parameters:/ {print $2}' "$T/info.txt")
  gflop=$(awk '/^GFLOP\/image:/ {print $2}' "$T/info.txt")
  "$PY" - "$params" "$gflop" "$mode" <<'PY'
import sys
p, g, mode = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
print("%s: params %.2f M, %.1f GFLOP/image" % (mode, p / 1e6, g))
assert 30e6 < p < 32e6, p
assert (50 < g < 62) if mode == "image" else (45 < g < 56), g
PY
  /usr/bin/time -f "opencl $mode: %e s, %M KiB peak RSS" "$FNRT" infer --mode "$mode" -m "$MODEL" -o "$T/cl-$mode.npy" "$in"
  /usr/bin/time -f "ref $mode: %e s, %M KiB peak RSS" "$FNRT" infer -b ref --mode "$mode" -m "$MODEL" -o "$T/ref-$mode.npy" "$in"
  "$PY" - "$T/cl-$mode.npy" "$T/ref-$mode.npy" "$mode" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
assert a.shape == b.shape == (256, 256, 3)
assert np.isfinite(a).all()
n = np.linalg.norm(a, axis=-1)
assert abs(n - 1).max() < 1e-4, abs(n - 1).max()
e = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))
print("%s: opencl vs ref at full size: mean %.5f max %.5f deg" % (sys.argv[3], e.mean(), e.max()))
assert e.mean() <= 0.01 and e.max() <= 0.1
PY
done
echo "fullsize-crossmodal: 2 passed, 0 failed"
