#!/usr/bin/env bash
# Ctrl-C (SIGINT), SIGTERM and SIGHUP in the middle of a batch: `fnrt infer` exits 130, says
# how many outputs it wrote, and leaves only whole output files: no temporary
# (.NAME.XXXXXX.tmp) and no partial file, whatever moment the signal hits.  Several rounds
# signal at different points (right after the k-th output appeared, or a little later, while
# the next one is being computed or written), on the ref and the OpenCL backend.
# Needs: $FNRT_CLI, $FNRT_TEST_DATA.
set -u
FNRT=${FNRT_CLI:?}
DATA=${FNRT_TEST_DATA:?}
MODEL=$DATA/fnr2r-tiny.safetensors
FACE=$DATA/face-256.png
N=60
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

mkdir "$T/in"
for i in $(seq -w 1 $N); do cp "$FACE" "$T/in/face$i.png"; done

# A PNG is whole when it ends with the IEND chunk (length 0, "IEND", CRC ae426082).
png_whole() { [ "$(tail -c 12 "$1" | od -An -tx1 | tr -d ' \n')" = 0000000049454e44ae426082 ]; }
# An NPY of (256,256,3) float32 is 128 + 786432 bytes.
npy_whole() { [ "$(stat -c %s "$1")" = 786560 ]; }

# round NAME SIGNAL BACKEND FORMAT WAIT_FILES EXTRA_DELAY_S
round() {
  local name=$1 sig=$2 backend=$3 fmt=$4 k=$5 delay=$6
  local out="$T/out-$name" ex="$T/ex-$name"
  "$FNRT" infer -m "$MODEL" -b "$backend" --format "$fmt" --exemplar "$ex" -o "$out" "$T/in" \
    >"$T/$name.log" 2>&1 &
  local pid=$! waited=0
  # wait until k outputs exist (at most 60 s), then signal after the extra delay
  while [ "$(ls "$out" 2>/dev/null | wc -l)" -lt "$k" ] && [ $waited -lt 1200 ]; do
    sleep 0.05; waited=$((waited + 1))
  done
  sleep "$delay"
  kill -s "$sig" $pid
  wait $pid
  local rc=$?
  if [ $rc = 130 ]; then ok "$name: exit 130 after SIG$sig"; else
    bad "$name: exit $rc after SIG$sig, want 130"; tail -3 "$T/$name.log" | sed 's/^/     /'; fi
  local stray
  stray=$(ls -A "$out" "$ex" 2>/dev/null | grep -E '^\.|\.tmp$' || true)
  [ -z "$stray" ] && ok "$name: no temporary files" || bad "$name: left $stray"
  local n_out n_bad=0 f
  n_out=$(ls "$out" | wc -l)
  for f in "$out"/* "$ex"/*; do
    [ -e "$f" ] || continue
    if [ "$fmt" = png ]; then png_whole "$f" || n_bad=$((n_bad + 1)); else npy_whole "$f" || n_bad=$((n_bad + 1)); fi
  done
  [ $n_bad = 0 ] && ok "$name: all $n_out outputs whole" || bad "$name: $n_bad partial files"
  [ "$n_out" -lt $N ] && ok "$name: stopped early ($n_out of $N)" || bad "$name: not interrupted ($n_out of $N)"
  grep -q "interrupted; $n_out written" "$T/$name.log" && ok "$name: summary names $n_out written" \
    || bad "$name: summary: $(tail -1 "$T/$name.log")"
}

round ref-int INT ref png 2 0
round ref-int-mid INT ref npy 3 0.13
round ref-term TERM ref png 1 0.07
round ref-hup HUP ref npy 2 0.21
round cl-int INT opencl png 3 0
round cl-int-mid INT opencl npy 5 0.02

echo "signals: $pass passed, $fail failed"
[ "$fail" = 0 ]
