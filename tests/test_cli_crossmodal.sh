#!/usr/bin/env bash
# The fnrt command line with a cross-modal model: info lists the architecture, its modes and
# per-mode stages; infer in both modes matches the PyTorch goldens through the whole CLI path
# (PNG decode, npy/png output); --mode errors and --exemplar are usage errors (exit 2).
# Needs: $FNRT_CLI, $FNRT_TEST_DATA (tests/data), python3 + numpy.
. "$(dirname "${BASH_SOURCE[0]}")/cli-harness.sh"
MODEL=$DATA/crossmodal-tiny.safetensors
FNR2R=$DATA/fnr2r-tiny.safetensors
FACE=$DATA/face-256.png
NMAP=$DATA/normals-256.png

# info: both architectures, the modes, the stages of each mode
expect_rc 0 "info crossmodal" "$FNRT" info "$MODEL"
grep -q "^architecture: crossmodal" "$T/out.txt" && ok "info names crossmodal" || bad "info: $(cat "$T/out.txt")"
grep -q "^modes: *image,normal-ae (this graph: image)" "$T/out.txt" && ok "info lists the modes" || bad "info modes"
for s in fullres encoder decoder; do
  grep -q "^  $s " "$T/out.txt" && ok "image stage $s" || bad "image stage $s missing"
done
expect_rc 0 "info --mode normal-ae" "$FNRT" info --mode normal-ae "$MODEL"
grep -q "this graph: normal-ae" "$T/out.txt" && ok "info shows the chosen mode" || bad "info mode"
grep -q "^  fullres " "$T/out.txt" && bad "normal-ae has a fullres stage" || ok "normal-ae has no fullres stage"
expect_rc 0 "info fnr2r" "$FNRT" info "$FNR2R"
grep -q "^architecture: fnr2r" "$T/out.txt" && grep -q "^modes: *image " "$T/out.txt" \
  && ok "info fnr2r architecture and mode" || bad "info fnr2r: $(head -3 "$T/out.txt")"
expect_rc 2 "info --mode of another architecture" "$FNRT" info --mode normal-ae "$FNR2R"

# infer: both modes, both backends, npy against the goldens
expect_rc 0 "infer image (opencl)" "$FNRT" infer -m "$MODEL" -o "$T/img.npy" "$FACE"
expect_rc 0 "infer image (ref)" "$FNRT" infer -b ref -m "$MODEL" -o "$T/img-ref.npy" "$FACE"
expect_rc 0 "infer --mode image" "$FNRT" infer --mode image -m "$MODEL" -o "$T/img2.npy" "$FACE"
expect_rc 0 "infer --mode normal-ae (opencl)" "$FNRT" infer --mode normal-ae -m "$MODEL" -o "$T/ae.npy" "$NMAP"
expect_rc 0 "infer --mode normal-ae (ref)" "$FNRT" infer -b ref --mode normal-ae -m "$MODEL" -o "$T/ae-ref.npy" "$NMAP"
if "$PY" - "$T" "$DATA" <<'PY'
import sys, numpy as np
t, d = sys.argv[1], sys.argv[2]
def ang(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))
for got, want in (("img", "crossmodal-tiny-image"), ("img-ref", "crossmodal-tiny-image"),
                  ("img2", "crossmodal-tiny-image"), ("ae", "crossmodal-tiny-normal-ae"),
                  ("ae-ref", "crossmodal-tiny-normal-ae")):
    a, b = np.load("%s/%s.npy" % (t, got)), np.load("%s/%s.npy" % (d, want))
    assert a.shape == b.shape == (256, 256, 3), (a.shape, b.shape)
    e = ang(a, b)
    print("%-7s vs %-26s mean %.6f max %.6f deg" % (got, want, e.mean(), e.max()))
    assert e.mean() <= 0.01 and e.max() <= 0.1
# the two modes are different networks on different inputs: far apart
assert ang(np.load(t + "/img.npy"), np.load(t + "/ae.npy")).mean() > 5.0
PY
then ok "cli outputs match the goldens"; else bad "cli outputs vs goldens"; fi

# a PNG normal map round trip: infer writes (n+1)/2, normal-ae reads it back
expect_rc 0 "infer png" "$FNRT" infer -m "$MODEL" -o "$T/img.png" "$FACE"
expect_rc 0 "normal-ae on fnrt's own png output" "$FNRT" infer --mode normal-ae -m "$MODEL" -o "$T/rt.png" "$T/img.png"
expect_rc 0 "--panel without an exemplar" "$FNRT" infer -m "$MODEL" -o "$T/p.npy" --panel "$T/panel.png" "$FACE"
[ -s "$T/panel.png" ] && ok "panel written" || bad "no panel"

# usage errors: no such mode, a mode of the other architecture, an exemplar that does not exist
expect_rc 2 "--mode bogus" "$FNRT" infer --mode bogus -m "$MODEL" -o "$T/x.npy" "$FACE"
grep -q "image,normal-ae" "$T/err.txt" && ok "error lists the modes" || bad "error: $(cat "$T/err.txt")"
expect_rc 2 "--mode normal-ae on fnr2r" "$FNRT" infer --mode normal-ae -m "$FNR2R" -o "$T/x.npy" "$FACE"
expect_rc 2 "--exemplar on crossmodal" "$FNRT" infer -m "$MODEL" --exemplar "$T/e.npy" -o "$T/x.npy" "$FACE"
[ -e "$T/x.npy" ] && bad "output written after a usage error" || ok "no output after usage errors"

# plan, bench and eval take --mode too (bench on a model without an exemplar output)
expect_rc 0 "plan --mode normal-ae" "$FNRT" plan -m "$MODEL" --mode normal-ae
expect_rc 2 "plan --mode bogus" "$FNRT" plan -m "$MODEL" --mode bogus
expect_rc 0 "bench --mode normal-ae" "$FNRT" bench -m "$MODEL" --mode normal-ae -n 1 --stream 2 --no-peak --no-layers
grep -q "request latency in the stream" "$T/out.txt" && ok "bench streams the normal-ae graph" || bad "bench output"
expect_rc 2 "eval --mode bogus" "$FNRT" eval -m "$MODEL" --mode bogus "$DATA/eval-synth"

finish "cli-crossmodal: "
