#!/bin/sh
# The OpenCL flow's v++ recipe (bitstreams: make FLOW=opencl): bitstreams/check-configs.py
# --flow opencl passes on the tree, and fails, naming the problem, on copies of its inputs
# broken one way each: a kernel-table entry with no __kernel, a kernel the runtime loads from
# another file, a tunable the kernels read but the runtime does not pass, a kernel defined
# twice, a stale link config naming a port that does not exist (and leaving an argument
# without a bank), and (with clang) a source that does not compile with the recipe's -D.
# Exit 77 (skipped) without make or python.
SRC=${FNRT_SOURCE_DIR:?FNRT_SOURCE_DIR not set}
PY=${FNRT_PYTHON:-python3}
command -v make >/dev/null 2>&1 || { echo "SKIP: make not installed"; exit 77; }
"$PY" -c 'import json' 2>/dev/null || { echo "SKIP: no python ($PY)"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/fnrt-clrecipe-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
CHECK="$SRC/bitstreams/check-configs.py"
U250=xilinx_u250_gen3x16_xdma_4_1_202210_1
fail=0

if "$PY" "$CHECK" --flow opencl --work "$T/w0" >"$T/out0.txt" 2>&1; then
  echo "ok   - check-configs.py --flow opencl passes on the tree"
  grep '^ok opencl' "$T/out0.txt" | sed 's/^/     /'
else
  echo "FAIL - check-configs.py --flow opencl on the tree:"; sed 's/^/     /' "$T/out0.txt"
  fail=1
fi

# fresh copies of the runtime source and kernels_cl for each broken case
fresh() {
  rm -rf "$T/cl" "$T/prog.c" "$T/w"
  cp -r "$SRC/kernels_cl" "$T/cl" && cp "$SRC/host/src/backend/opencl/opencl-program.c" "$T/prog.c"
}
# expect NAME PATTERN: check-configs.py on the copies fails and prints PATTERN
expect() {
  if "$PY" "$CHECK" --flow opencl --work "$T/w" --kernels-cl "$T/cl" --runtime "$T/prog.c" \
       >"$T/out.txt" 2>&1; then
    echo "FAIL - $1: check-configs.py passed"; fail=1
  elif grep -q -- "$2" "$T/out.txt"; then
    echo "ok   - $1: refused ($(grep -m1 -- "$2" "$T/out.txt" | cut -c1-150))"
  else
    echo "FAIL - $1: no '$2' in:"; sed 's/^/     /' "$T/out.txt" | tail -5; fail=1
  fi
}

fresh
sed -i 's/{"fnrt_add", FNRT_CL_PROG_ELEMENTWISE}/{"fnrt_add3", FNRT_CL_PROG_ELEMENTWISE}/' "$T/prog.c"
grep -q fnrt_add3 "$T/prog.c" || { echo "FAIL - cannot edit the kernel table copy"; exit 1; }
expect "kernel table names a kernel kernels_cl lacks" \
  "kernel table names fnrt_add3 (kernels_cl/elementwise.cl), which no kernels_cl"

fresh
sed -i 's/{"fnrt_gray", FNRT_CL_PROG_ELEMENTWISE}/{"fnrt_gray", FNRT_CL_PROG_POOL}/' "$T/prog.c"
expect "kernel loaded from another file" \
  "kernel fnrt_gray is defined in kernels_cl/elementwise.cl, the runtime loads it from pool.cl"

fresh
printf '#ifndef FNRT_POOL_NEW\n#define FNRT_POOL_NEW 4\n#endif\n' >>"$T/cl/pool.cl"
expect "tunable the runtime does not pass" \
  "kernels_cl/pool.cl reads -D FNRT_POOL_NEW, which the runtime's tuning table does not pass"

fresh
printf '__kernel void fnrt_gray(__global float *x) { x[0] = 0.0f; }\n' >>"$T/cl/pool.cl"
expect "kernel defined twice" "kernel fnrt_gray defined in elementwise.cl and pool.cl"

# a stale generated link config (make finds it up to date): port renamed by hand
fresh
CFG="$T/w/opencl.$U250"
"$PY" "$SRC/bitstreams/gen-config.py" --opencl-out "$CFG" --kernels-cl "$T/cl" \
  --runtime "$T/prog.c" "$SRC/bitstreams/$U250" || exit 1
sed -i 's/^sp=fnrt_add_1\.a:/sp=fnrt_add_1.q:/' "$CFG/opencl-link.cfg"
sleep 1 && touch "$CFG/opencl.mk" "$CFG/opencl-link.cfg" "$CFG/opencl-compile.cfg"
expect "link config names a port that is no argument" \
  "sp=fnrt_add_1.q, but fnrt_add has no argument q (kernels_cl/elementwise.cl)"
grep -q "buffer argument fnrt_add_1.a has 0 sp= banks" "$T/out.txt" &&
  echo "ok   - ... and the argument it lost has no bank" ||
  { echo "FAIL - fnrt_add_1.a without a bank not reported"; fail=1; }

if command -v clang >/dev/null 2>&1; then
  fresh
  printf '#if FNRT_CONV_PW == 4\n#error "PW 4 unsupported in this copy"\n#endif\n' >>"$T/cl/conv.cl"
  expect "source that does not compile with the recipe's -D" \
    "kernels_cl/conv.cl does not compile with the recipe's -D options"
else
  echo "note - clang not installed: compile check not exercised"
fi

[ $fail = 0 ] && echo "all ok"
exit $fail
