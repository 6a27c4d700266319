#!/usr/bin/env bash
# Trust and diagnosis: fnrt diff (ref vs OpenCL passes; a perturbed layer is found, by name;
# --dump names; the cross-modal dumps against tools/reference_crossmodal.py's, layer by layer,
# where python has torch), fnrt doctor (exit 0 only when the device ran the model; checksum mismatch
# and missing xclbin reported; an OpenCL-flow xclbin checked as the OpenCL backend does, and
# refused for -b xrt), stage report and --allow-fallback of fnrt infer, --timeout,
# determinism (same input, two processes, byte-identical output).
# Needs: $FNRT_CLI, $FNRT_TEST_DATA, python3 + numpy.
. "$(dirname "${BASH_SOURCE[0]}")/cli-harness.sh"
HARNESS_MERGED=1 # expect_rc: stdout+stderr to $T/out.txt
MODEL=$DATA/fnr2r-tiny.safetensors
FACE=$DATA/face-256.png

# ---- fnrt diff ----
expect_rc 0 "diff --help" "$FNRT" diff --help
expect_rc 2 "diff: bad --devices" "$FNRT" diff -m "$MODEL" --devices ref "$FACE"
expect_rc 2 "diff: unknown backend" "$FNRT" diff -m "$MODEL" --devices ref,nosuch "$FACE"
expect_rc 1 "diff: unreadable image" "$FNRT" diff -m "$MODEL" --devices ref,ref "$T/none.png"
expect_rc 0 "diff ref,ref" "$FNRT" diff -m "$MODEL" --devices ref,ref "$FACE"
expect_out "diff ref,ref: every layer exact" "^ok: all 97 layers within tolerance"
expect_rc 0 "diff ref,opencl (isolated) passes" "$FNRT" diff -m "$MODEL" --devices ref,opencl \
  --dump "$T/dump" "$FACE"
expect_out "diff ref,opencl: summary" "^ok: all [0-9]+ layers within tolerance"
expect_out "diff ref,opencl: a line per layer" "^ +96  normals +l2norm +3x256x256 .* ok$"
expect_rc 0 "diff ref,opencl:0 --chain passes" "$FNRT" diff -m "$MODEL" --devices ref,opencl:0 \
  --chain "$FACE"
expect_out "diff --chain: summary" "^ok: all [0-9]+ layers within tolerance"
for f in A/input A/coarse.gray A/coarse.conv1 A/exemplar A/refiner.up5 A/normals B/normals; do
  if [ -s "$T/dump/$f.npy" ]; then ok "dump: $f.npy"; else bad "dump: $f.npy missing"; fi
done
if "$PY" - "$T/dump" <<'PYEOF'; then ok "dump: shapes (C,H,W) and A/normals = B/normals within 1e-5"; else bad "dump: content"; fi
import sys, numpy as np
d = sys.argv[1]
a, b = np.load(d + "/A/normals.npy"), np.load(d + "/B/normals.npy")
assert a.shape == (3, 256, 256) and a.dtype == np.float32, a.shape
assert np.load(d + "/A/coarse.gray.npy").shape == (1, 256, 256)
assert np.abs(a - b).max() < 1e-5
PYEOF
# tools/reference.py --dump names its files with the graph's layer names (no torch in CI:
# the names Net dumps are listed here, mapped by reference.graph_name, looked up in A/)
if "$PY" - "$T/dump/A" "${FNRT_SOURCE_DIR:?}/tools" <<'PYEOF'; then ok "reference.py dump names = graph layer names"; else bad "reference.py dump names"; fi
import importlib.util, os, sys
d, tools = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("reference", os.path.join(tools, "reference.py"))
r = importlib.util.module_from_spec(spec); sys.path.insert(0, tools); spec.loader.exec_module(r)
g = {f[:-4] for f in os.listdir(d)}
names = (["input", "coarse.input", "coarse.out", "exemplar", "guide.conv0.0", "guide.conv0.1",
          "guide.pool", "style", "refiner.bottleneck", "refiner.conv_bottleneck", "refiner.out",
          "normals"] + ["coarse.conv%d" % n for n in range(1, 9)]
         + ["coarse.deconv%d" % n for n in range(1, 8)]
         + ["guide.conv%d%s" % (k, s) for k in (1, 2, 3) for s in (".0", "")]
         + ["refiner.block%d" % b for b in range(1, 6)]
         + ["refiner.up%d%s" % (n, s) for n in range(1, 6)
            for s in (".upsample", ".conv_s", ".conv_cat", ".modulation", "")])
missing = [n for n in names if r.graph_name(n) not in g]
assert not missing, missing
assert len({r.graph_name(n) for n in names}) == len(names)
PYEOF
# the testing hook: a perturbed layer is the first (and only) failure, named
for mode in "" --chain; do
  FNRT_DIFF_INJECT=refiner.up3.conv_s expect_rc 1 "diff $mode: injected error fails" \
    "$FNRT" diff -m "$MODEL" --devices ref,opencl $mode "$FACE"
  expect_out "diff $mode: stops at the injected layer" \
    "^FAIL: first layer out of tolerance: refiner.up3.conv_s \(op 74\)"
  expect_out "diff $mode: that layer's line says FAIL" "^ +74  refiner.up3.conv_s .* FAIL$"
  expect_no_out "diff $mode: nothing after it" "^ +75 "
done
FNRT_DIFF_INJECT=coarse.gray expect_rc 1 "diff: injected error at the first layer" \
  "$FNRT" diff -m "$MODEL" --devices ref,ref "$FACE"
expect_out "diff: names the first layer" "^FAIL: first layer out of tolerance: coarse.gray \(op 0\)"

# the cross-modal network, both modes
XM=$DATA/crossmodal-tiny.safetensors
expect_rc 0 "diff crossmodal image ref,opencl" "$FNRT" diff -m "$XM" --dump "$T/xm-image" "$FACE"
expect_out "diff crossmodal image: summary" "^ok: all 53 layers within tolerance"
expect_rc 0 "diff crossmodal normal-ae ref,opencl" "$FNRT" diff -m "$XM" --mode normal-ae \
  --dump "$T/xm-normal-ae" "$DATA/normals-256.png"
expect_out "diff crossmodal normal-ae: summary" "^ok: all 43 layers within tolerance"
# tools/reference_crossmodal.py --dump writes the same layer names as the graph, so the two
# dumps compare file by file (needs torch: skipped where $PY has none)
if "$PY" -c "import torch" 2>/dev/null; then
  for mode in image normal-ae; do
    in=$FACE; [ $mode = normal-ae ] && in=$DATA/normals-256.png
    expect_rc 0 "reference_crossmodal.py --mode $mode --dump" "$PY" \
      "${FNRT_SOURCE_DIR:?}/tools/reference_crossmodal.py" -m "$XM" --mode $mode --input "$in" \
      --normals "$T/xm-$mode/torch-normals.npy" --dump "$T/xm-$mode/torch"
    if "$PY" - "$T/xm-$mode" <<'PYEOF'; then ok "crossmodal $mode: torch dump = fnrt diff dump, layer by layer"; else bad "crossmodal $mode: torch vs fnrt dump"; fi
import os, sys, numpy as np
d = sys.argv[1]
a, t = sorted(os.listdir(d + "/A")), sorted(os.listdir(d + "/torch"))
assert a == t, (sorted(set(a) - set(t)), sorted(set(t) - set(a)))
assert len(a) == {"image": 54, "normal-ae": 44}[os.path.basename(d)[3:]], len(a)  # layers + input
for f in a:
    x, y = np.load(d + "/A/" + f), np.load(d + "/torch/" + f)
    assert x.shape == y.shape, (f, x.shape, y.shape)
    err, tol = np.abs(x - y).max(), 1e-4 + 1e-4 * np.abs(y).max()
    assert err <= tol, (f, err, tol)
PYEOF
  done
else
  ok "crossmodal torch dump comparison skipped (no torch in $PY)"
fi

# ---- fnrt doctor ----
expect_rc 0 "doctor --help" "$FNRT" doctor --help
expect_rc 0 "doctor -b ref" "$FNRT" doctor -m "$MODEL" -b ref
expect_out "doctor: checksum verified" "model data sha256 [0-9a-f]{16}\.\.\. matches"
expect_out "doctor: test inference" "^\[ok  \] test inference on a synthetic 256x256 image"
expect_rc 0 "doctor (opencl)" "$FNRT" doctor -m "$MODEL"
expect_out "doctor: ICD files listed" "\.icd -> "
expect_out "doctor: PoCL cache checked" "PoCL kernel cache .* is writable"
expect_out "doctor: stages named with their device" "stages: coarse .* -> all on opencl: "
expect_out "doctor: verdict" "^fnrt doctor: ok"
cp "$MODEL" "$T/bad.safetensors"
"$PY" - "$T/bad.safetensors" <<'PYEOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-4] ^= 1  # lowest mantissa bit of the last float: still a valid, finite model
open(p, "wb").write(b)
PYEOF
expect_rc 1 "doctor: modified model fails" "$FNRT" doctor -m "$T/bad.safetensors" -b ref
expect_out "doctor: says checksum mismatch and what to do" "checksum mismatch"
expect_out "doctor: fix line" "fix: the file was modified"
expect_rc 1 "doctor: missing model" "$FNRT" doctor -m "$T/none.safetensors" -b ref
expect_rc 1 "doctor: --xclbin missing" "$FNRT" doctor -m "$MODEL" -b ref --xclbin "$T/none.xclbin"
expect_out "doctor: xclbin reported" "--xclbin .*none.xclbin"
# an OpenCL-flow xclbin (header only: the OpenCL backend's sidecar check reads no sections)
# with the writer's sidecar (make-sidecar.py --flow opencl): doctor runs the OpenCL backend's
# check, not the HLS one; -b xrt is told to use -b opencl; a stale sidecar is that check's FAIL
SRC=${FNRT_SOURCE_DIR:?}
U250=xilinx_u250_gen3x16_xdma_4_1_202210_1
CLX=$T/fnrt-cl.xclbin
"$PY" -c 'import sys; h = bytearray(440); h[:7] = b"xclbin2"; h[416:432] = bytes(range(16, 32));
open(sys.argv[1], "wb").write(h)' "$CLX"
if (cd "$SRC/bitstreams" && "$PY" gen-config.py --opencl-out "$T/clcfg" $U250 >/dev/null &&
    "$PY" make-sidecar.py --flow opencl --design $U250/design.json \
      --link "$T/clcfg/opencl-link.cfg" --kernels-cl ../kernels_cl \
      --runtime ../host/src/backend/opencl/opencl-program.c \
      --tune "$(sed -n 's/^CL_TUNE ?= //p' "$T/clcfg/opencl.mk")" --target hw --xclbin "$CLX" \
      -o "$CLX.json"); then
  expect_rc 0 "doctor: OpenCL-flow xclbin passes" "$FNRT" doctor -m "$MODEL" -b ref --xclbin "$CLX"
  expect_out "doctor: OpenCL-flow xclbin recognised" "^\[ok  \] --xclbin .*fnrt-cl.xclbin: OpenCL-flow"
  expect_out "doctor: OpenCL-flow xclbin's tunables shown" "tunables FNRT_CONV_OB=[0-9]+ "
  expect_no_out "doctor: no HLS kernel check for it" "fnrt_mm2s"
  expect_rc 1 "doctor -b xrt: OpenCL-flow xclbin fails" "$FNRT" doctor -m "$MODEL" -b xrt \
    --xclbin "$CLX"
  expect_out "doctor -b xrt: says use -b opencl" \
    "FAIL.*built for the OpenCL flow \(kernels_cl kernels\): use -b opencl"
  echo "not a kernel" >>"$CLX"
  expect_rc 1 "doctor: OpenCL-flow xclbin with a stale sidecar fails" "$FNRT" doctor -m "$MODEL" \
    -b ref --xclbin "$CLX"
  expect_out "doctor: stale sidecar named by the OpenCL check" \
    "FAIL.*OpenCL-flow xclbin .*opencl: .*xclbin_sha256"
else
  bad "doctor: cannot write an OpenCL-flow sidecar with make-sidecar.py"
fi
expect_rc 1 "doctor: no such device" "$FNRT" doctor -m "$MODEL" -d no-such-device-name
expect_rc 2 "doctor: stray argument" "$FNRT" doctor extra

# ---- fnrt infer: where stages ran, no silent fallback, --timeout ----
expect_rc 0 "infer names the device of every stage" "$FNRT" infer -m "$MODEL" -o "$T/n.npy" "$FACE"
expect_out "infer: stage line" "^fnrt: stages coarse, guide, encoder, decoder run on opencl: "
expect_rc 0 "infer -q: no stage line" "$FNRT" infer -q -m "$MODEL" -o "$T/q.npy" "$FACE"
expect_no_out "infer -q: quiet" "stages"
expect_rc 0 "infer --allow-fallback, nothing to fall back from" "$FNRT" infer -m "$MODEL" \
  --allow-fallback -o "$T/f.npy" "$FACE"
expect_no_out "infer --allow-fallback: no warning when not needed" "WARNING"
expect_out "infer --allow-fallback: still on opencl" "run on opencl: "
expect_rc 2 "infer --timeout 0" "$FNRT" infer -m "$MODEL" --timeout 0 -o "$T/t.npy" "$FACE"
expect_rc 2 "infer --timeout abc" "$FNRT" infer -m "$MODEL" --timeout abc -o "$T/t.npy" "$FACE"
mkdir -p "$T/in"
for n in a b c; do cp "$FACE" "$T/in/$n.png"; done
expect_rc 0 "infer --timeout 60: a batch runs" "$FNRT" infer -m "$MODEL" --timeout 60 \
  --format npy -o "$T/ok" "$T/in"
expect_out "infer --timeout 60: all written" "3 written"
# a bound no inference can meet: every image fails, each after a fresh session, no crash
# (abandoned sessions are leaked on purpose: no leak report under the sanitizer build)
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
  expect_rc 1 "infer --timeout 1e-6: the batch fails" "$FNRT" infer -m "$MODEL" --timeout 0.000001 \
  -o "$T/to" "$T/in"
expect_out "infer --timeout: says timed out" "did not finish within 1e-06 s"
expect_out "infer --timeout: fresh session for the rest" "continuing with a fresh session"
expect_out "infer --timeout: summary" "3 of 3 inputs failed, 0 written"
if [ -z "$(ls -A "$T/to" 2>/dev/null)" ]; then ok "infer --timeout: no files written"; else
  bad "infer --timeout: files left: $(ls "$T/to")"; fi
expect_rc 0 "infer -b ref --timeout: warns, runs" "$FNRT" infer -m "$MODEL" -b ref --timeout 5 \
  -o "$T/r.npy" "$FACE"
expect_out "infer -b ref --timeout: says it is not applied" "WARNING: --timeout not applied"

# ---- determinism: same input, same device, two processes: identical bytes ----
for be in opencl ref; do
  "$FNRT" infer -q -m "$MODEL" -b $be -o "$T/det1-$be.npy" "$FACE" &&
    "$FNRT" infer -q -m "$MODEL" -b $be -o "$T/det2-$be.npy" "$FACE" &&
    cmp -s "$T/det1-$be.npy" "$T/det2-$be.npy" && ok "determinism: $be, two processes, same bytes" ||
    bad "determinism: $be outputs differ between runs"
done

finish "# "
