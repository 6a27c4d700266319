#!/usr/bin/env bash
# `fnrt infer -b xrt` end to end under XRT's noop shim with a metadata-only xclbin: the run
# completes (nothing is computed) and FNRT_XRT_TIMINGS=1 prints per-op and sync timings; a
# missing glue kernel, a missing file and a missing sidecar are refused with a message; a
# sidecar written by bitstreams/make-sidecar.py for a test xclbin with the U250 platform
# passes the runtime's checks of sha256, uuid, platform, design parameters, precision and
# layout (it is then refused at its kernel list: it describes the U250 design's CUs); an
# xclbin with an OpenCL-flow sidecar (make-sidecar.py --flow opencl) is refused with "use -b
# opencl", not at its missing glue kernels.
# Needs: $FNRT_CLI, $FNRT_MKXCLBIN, $FNRT_XRT_LIBDIR, $FNRT_TEST_DATA, $FNRT_SOURCE_DIR,
# $FNRT_PYTHON.
set -u
FNRT=${FNRT_CLI:?}
MK=${FNRT_MKXCLBIN:?}
DATA=${FNRT_TEST_DATA:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/xrt" && ln -s "${FNRT_XRT_LIBDIR:?}" "$T/xrt/lib"
export XILINX_XRT=$T/xrt XCL_EMULATION_MODE=noop
unset FNRT_XCLBIN
fail=0
"$MK" -o "$T/all.xclbin" >/dev/null || { echo "FAIL - fnrt-mkxclbin"; exit 1; }
"$MK" -o "$T/no-mm2s.xclbin" --omit fnrt_mm2s >/dev/null || exit 1

FNRT_XRT_TIMINGS=1 "$FNRT" infer -m "$DATA/fnr2r-tiny.safetensors" -b xrt -d "$T/all.xclbin" \
  -o "$T/out.png" "$DATA/face-256.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc = 0 ] && [ -s "$T/out.png" ] && grep -q "run  conv2d" "$T/err.txt" &&
   grep -q "sync to device" "$T/err.txt"; then
  echo "ok   - infer -b xrt under noop completes with timings"
else
  echo "FAIL - infer -b xrt: exit $rc"; sed 's/^/     /' "$T/err.txt" | tail -20; fail=1
fi

"$FNRT" infer -m "$DATA/fnr2r-tiny.safetensors" -b xrt -d "$T/no-mm2s.xclbin" \
  -o "$T/out2.png" "$DATA/face-256.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc != 0 ] && grep -q "no kernel fnrt_mm2s" "$T/err.txt" && [ ! -e "$T/out2.png" ]; then
  echo "ok   - xclbin without fnrt_mm2s refused (exit $rc)"
else
  echo "FAIL - xclbin without fnrt_mm2s: exit $rc"; sed 's/^/     /' "$T/err.txt" | tail; fail=1
fi

"$FNRT" infer -m "$DATA/fnr2r-tiny.safetensors" -b xrt -d "$T/none.xclbin" \
  -o "$T/out3.png" "$DATA/face-256.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc != 0 ] && grep -q "cannot open xclbin $T/none.xclbin" "$T/err.txt"; then
  echo "ok   - missing xclbin refused (exit $rc)"
else
  echo "FAIL - missing xclbin: exit $rc"; sed 's/^/     /' "$T/err.txt" | tail; fail=1
fi
"$MK" -o "$T/no-side.xclbin" --no-sidecar >/dev/null || exit 1
"$FNRT" infer -m "$DATA/fnr2r-tiny.safetensors" -b xrt -d "$T/no-side.xclbin" \
  -o "$T/out4.png" "$DATA/face-256.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc != 0 ] && grep -q "has no sidecar $T/no-side.xclbin.json" "$T/err.txt" &&
   [ ! -e "$T/out4.png" ]; then
  echo "ok   - xclbin without sidecar refused (exit $rc)"
else
  echo "FAIL - xclbin without sidecar: exit $rc"; sed 's/^/     /' "$T/err.txt" | tail; fail=1
fi

SRC=${FNRT_SOURCE_DIR:?}
D=$SRC/bitstreams/xilinx_u250_gen3x16_xdma_4_1_202210_1
"$MK" -o "$T/py.xclbin" --no-sidecar --platform xilinx_u250_gen3x16_xdma_4_1_202210_1 \
  >/dev/null || exit 1
"${FNRT_PYTHON:-python3}" "$SRC/bitstreams/make-sidecar.py" --design "$D/design.json" \
  --link "$D/link.cfg" --hls "$SRC/hls" --target hw --xclbin "$T/py.xclbin" \
  -o "$T/py.xclbin.json" || { echo "FAIL - make-sidecar.py"; exit 1; }
"$FNRT" infer -m "$DATA/fnr2r-tiny.safetensors" -b xrt -d "$T/py.xclbin" \
  -o "$T/out5.png" "$DATA/face-256.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc != 0 ] && grep -q "CUs in the sidecar\|is not in the sidecar\|in the sidecar but not" \
     "$T/err.txt" && ! grep -q "xclbin_sha256\|xclbin_uuid\|platform\|precision\|layout" \
     "$T/err.txt"; then
  echo "ok   - make-sidecar.py's sidecar passes every check up to its (U250) kernel list"
else
  echo "FAIL - make-sidecar.py sidecar: exit $rc"; sed 's/^/     /' "$T/err.txt" | tail; fail=1
fi

# An OpenCL-flow xclbin (bitstreams: make FLOW=opencl) holds the kernels_cl kernels, no HLS
# glue kernels: -b xrt refuses it by its sidecar's flow ("use -b opencl") before it compares
# kernels with the HLS table (which would stop at the missing fnrt_mm2s).  The sidecar is the
# writer's (make-sidecar.py --flow opencl, with the recipe's generated configs).
"$MK" -o "$T/cl.xclbin" --no-sidecar --omit fnrt_mm2s --omit fnrt_s2mm >/dev/null || exit 1
U250=xilinx_u250_gen3x16_xdma_4_1_202210_1
(cd "$SRC/bitstreams" &&
  "${FNRT_PYTHON:-python3}" gen-config.py --opencl-out "$T/cfg" $U250 >/dev/null &&
  "${FNRT_PYTHON:-python3}" make-sidecar.py --flow opencl --design $U250/design.json \
    --link "$T/cfg/opencl-link.cfg" \
    --kernels-cl ../kernels_cl --runtime ../host/src/backend/opencl/opencl-program.c \
    --tune "$(sed -n 's/^CL_TUNE ?= //p' "$T/cfg/opencl.mk")" --target hw \
    --xclbin "$T/cl.xclbin" -o "$T/cl.xclbin.json") ||
  { echo "FAIL - make-sidecar.py --flow opencl"; exit 1; }
"$FNRT" infer -m "$DATA/fnr2r-tiny.safetensors" -b xrt -d "$T/cl.xclbin" \
  -o "$T/out6.png" "$DATA/face-256.png" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc != 0 ] && grep -q 'says flow "opencl"' "$T/err.txt" &&
   grep -q "use -b opencl" "$T/err.txt" && ! grep -q "fnrt_mm2s" "$T/err.txt" &&
   [ ! -e "$T/out6.png" ]; then
  echo "ok   - OpenCL-flow xclbin refused by its sidecar's flow: use -b opencl (exit $rc)"
else
  echo "FAIL - OpenCL-flow xclbin with -b xrt: exit $rc"; sed 's/^/     /' "$T/err.txt" | tail
  fail=1
fi
exit $fail
