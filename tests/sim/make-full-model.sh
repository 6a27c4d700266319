#!/bin/sh
# Makes the full-size random FNR2R model (published widths, ~77 M parameters) once per build
# directory: make-full-model.sh PYTHON SOURCE_DIR OUT
set -eu
PY=$1 SRC=$2 OUT=$3
[ -f "$OUT" ] && exit 0
mkdir -p "$(dirname "$OUT")"
"$PY" "$SRC/tools/random-model.py" --seed 1 -o "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
