#!/usr/bin/env bash
# CLI behaviour: outputs, exit codes, bad input, no partial or overwritten files.
# Needs: $FNRT_CLI (the built fnrt), $FNRT_TEST_DATA (tests/data), python3 + numpy.
. "$(dirname "${BASH_SOURCE[0]}")/cli-harness.sh"
MODEL=$DATA/fnr2r-tiny.safetensors
FACE=$DATA/face-256.png
png_size() { # prints "W H" from the IHDR of a PNG
  od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'
}
only_files() { # only_files DIR expected... : the directory holds exactly these names
  local d=$1; shift
  local got want
  got=$(ls -A "$d" | sort | tr '\n' ' ')
  want=""
  [ $# -gt 0 ] && want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want" ]
}

expect_rc 0 "help" "$FNRT" --help
expect_rc 2 "unknown command" "$FNRT" frobnicate
expect_rc 0 "infer --help" "$FNRT" infer --help
expect_rc 2 "infer without -o" "$FNRT" infer -m "$MODEL" "$FACE"
expect_rc 2 "bad --bits" "$FNRT" infer -m "$MODEL" --bits 12 -o "$T/a.png" "$FACE"
expect_rc 0 "info" "$FNRT" info "$MODEL"
grep -q "architecture: fnr2r" "$T/out.txt" && ok "info names the architecture" || bad "info output"
expect_rc 0 "devices" "$FNRT" devices
grep -qi "portable computing language\|pocl" "$T/out.txt" && ok "devices lists PoCL" || bad "devices output"

# one image -> PNG, 8 and 16 bit
mkdir "$T/o1"
expect_rc 0 "infer png" "$FNRT" infer -m "$MODEL" -o "$T/o1/n.png" "$FACE"
[ "$(png_size "$T/o1/n.png")" = "256 256" ] && ok "png is 256x256" || bad "png size"
expect_rc 0 "infer png 16-bit" "$FNRT" infer -m "$MODEL" --bits 16 -o "$T/o1/n16.png" "$FACE"
[ "$(od -An -tu1 -j24 -N1 "$T/o1/n16.png" | tr -d ' ')" = 16 ] && ok "16-bit depth" || bad "16-bit depth"
only_files "$T/o1" n.png n16.png && ok "no temp files left" || bad "stray files: $(ls -A "$T/o1")"

# npy output matches the PyTorch golden through the whole CLI path (PNG decode included)
expect_rc 0 "infer npy + exemplar" "$FNRT" infer -m "$MODEL" -o "$T/o1/n.npy" --exemplar "$T/o1/e.npy" "$FACE"
if "$PY" - "$T/o1/n.npy" "$DATA/fnr2r-tiny-normals.npy" "$T/o1/e.npy" "$DATA/fnr2r-tiny-exemplar.npy" <<'PY'
import sys, numpy as np
def ang(a, b):  # atan2(|a x b|, a.b): accurate for tiny angles, unlike arccos
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), (a * b).sum(-1)))
for got, want in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    a, b = np.load(got), np.load(want)
    assert a.shape == b.shape == (256, 256, 3), (a.shape, b.shape)
    e = ang(a.astype(np.float64), b.astype(np.float64))
    print(got, "mean %.5f max %.5f deg" % (e.mean(), e.max()))
    assert e.mean() <= 0.01 and e.max() <= 0.1
PY
then ok "cli npy matches golden"; else bad "cli npy vs golden"; fi

# no overwrite without --force; --force replaces
sum_before=$(md5sum < "$T/o1/n.png")
expect_rc 1 "existing output refused" "$FNRT" infer -m "$MODEL" --bits 16 -o "$T/o1/n.png" "$FACE"
[ "$(md5sum < "$T/o1/n.png")" = "$sum_before" ] && ok "existing output untouched" || bad "output overwritten"
expect_rc 0 "--force overwrites" "$FNRT" infer -m "$MODEL" --bits 16 -f -o "$T/o1/n.png" "$FACE"
[ "$(md5sum < "$T/o1/n.png")" != "$sum_before" ] && ok "output replaced" || bad "output not replaced"

# bad input: one clear line, non-zero exit, no output file
mkdir "$T/o2"
echo "not a png" > "$T/fake.png"
expect_rc 1 "non-PNG input" "$FNRT" infer -m "$MODEL" -o "$T/o2/x.png" "$T/fake.png"
grep -q "fake.png" "$T/err.txt" && ok "error names the file" || bad "error text: $(cat "$T/err.txt")"
expect_rc 1 "missing input" "$FNRT" infer -m "$MODEL" -o "$T/o2/x.png" "$T/nope.png"
head -c 100 "$FACE" > "$T/trunc.png"
expect_rc 1 "truncated PNG" "$FNRT" infer -m "$MODEL" -o "$T/o2/x.png" "$T/trunc.png"
expect_rc 3 "missing model" "$FNRT" infer -m "$T/none.safetensors" -o "$T/o2/x.png" "$FACE"
head -c 1000 "$MODEL" > "$T/trunc.safetensors"
expect_rc 3 "truncated model" "$FNRT" infer -m "$T/trunc.safetensors" -o "$T/o2/x.png" "$FACE"
expect_rc 4 "unknown device" "$FNRT" infer -m "$MODEL" -d no-such-device -o "$T/o2/x.png" "$FACE"
expect_rc 4 "unknown backend" "$FNRT" infer -m "$MODEL" -b cuda -o "$T/o2/x.png" "$FACE"
expect_rc 2 "bad output extension" "$FNRT" infer -m "$MODEL" -o "$T/o2/x.jpg" "$FACE"
only_files "$T/o2" && ok "no output after failures" || bad "files left: $(ls -A "$T/o2")"

# batch: a directory with two good images and one corrupt; the good ones are written
mkdir "$T/in" "$T/o3"
cp "$FACE" "$T/in/a.png"; cp "$FACE" "$T/in/b.png"; cp "$T/fake.png" "$T/in/c.png"
expect_rc 1 "batch with one bad input" "$FNRT" infer -m "$MODEL" -o "$T/o3" "$T/in"
only_files "$T/o3" a.png b.png && ok "batch wrote the good ones" || bad "batch outputs: $(ls -A "$T/o3")"
grep -q "1 of 3 inputs failed" "$T/err.txt" && ok "batch summary" || bad "summary: $(tail -2 "$T/err.txt")"
grep -q "\[2/3\]" "$T/err.txt" && ok "progress lines" || bad "no progress lines"

# --size input: output at the input's size (a 32x32 PNG of the conformance suite)
SMALL=$DATA/pngsuite/basn2c08.png
if [ -f "$SMALL" ]; then
  expect_rc 0 "--size input" "$FNRT" infer -m "$MODEL" --size input -o "$T/small.png" "$SMALL"
  [ "$(png_size "$T/small.png")" = "32 32" ] && ok "output at input size" || bad "size $(png_size "$T/small.png")"
fi

# reference backend gives the same image as OpenCL within tolerance (npy)
expect_rc 0 "ref backend" "$FNRT" infer -m "$MODEL" -b ref -o "$T/ref.npy" "$FACE"

finish "cli: "
