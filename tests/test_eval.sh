#!/usr/bin/env bash
# Regression guard for the bundled default model: `fnrt eval` on the committed held-out set
# must reproduce the accuracy PyTorch measured at the end of training (models/training/
# train.log: "final eval normals error mean 6.70 deg, median 4.90 deg"), within 0.05 deg.
# Also exercises --heatmap and the main job (infer on the sample face with relight/panel).
set -euo pipefail
FNRT=${FNRT_CLI:?}
SRC=${FNRT_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
log=$SRC/models/training/train.log
want_mean=$(sed -n 's/.*final eval normals error mean \([0-9.]*\) deg, median \([0-9.]*\) deg.*/\1/p' "$log")
want_median=$(sed -n 's/.*final eval normals error mean \([0-9.]*\) deg, median \([0-9.]*\) deg.*/\2/p' "$log")
[ -n "$want_mean" ] && [ -n "$want_median" ] || { echo "no final eval line in $log"; exit 1; }
"$FNRT" eval -m "$SRC/models/fnrt-default.safetensors" --heatmap "$T/heat" "$SRC/tests/data/eval-synth" | tee "$T/eval.txt"
line=$(grep '^eval:' "$T/eval.txt")
mean=$(sed 's/.* mean=\([0-9.]*\) .*/\1/' <<<"$line")
median=$(sed 's/.* median=\([0-9.]*\) .*/\1/' <<<"$line")
pass=0 fail=0
check() { if awk "BEGIN {exit !($1)}"; then pass=$((pass+1)); echo "ok   - $2"; else fail=$((fail+1)); echo "FAIL - $2"; fi; }
check "$mean - $want_mean < 0.05 && $want_mean - $mean < 0.05" "mean $mean vs PyTorch $want_mean"
check "$median - $want_median < 0.05 && $want_median - $median < 0.05" "median $median vs PyTorch $want_median"
check "$mean <= 12" "mean $mean <= 12 deg (target)"
n_heat=$(ls "$T/heat" | grep -c -- '-error.png$' || true)
check "$n_heat == 32" "32 heat maps ($n_heat)"
"$FNRT" infer -o "$T/n.png" --relight "$T/relit.png" --panel "$T/panel.png" "$SRC/samples/face.png"
check "$(stat -c %s "$T/panel.png") > 10000" "panel written"
echo "eval: $pass passed, $fail failed"
[ "$fail" = 0 ]
