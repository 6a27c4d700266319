#!/usr/bin/env bash
# The whole test suite, the one command CI runs (.ci/run).  Installs missing packages, then
# runs these phases, each printing one "PASS"/"FAIL" line; exits non-zero if any failed:
#
#   ctest     build/ (RelWithDebInfo): every CTest, the slow full-size test included
#   asan      build-asan/: the same suite built with AddressSanitizer + UndefinedBehavior-
#             Sanitizer, LeakSanitizer on (tests/sanitizers/lsan.supp), minus label 'slow'
#   tsan      build-tsan/: test_threads (two sessions inferring at once from two threads)
#             under ThreadSanitizer
#   fuzz      build-fuzz/ (clang, libFuzzer + ASan/UBSan): each fuzz target for
#             $FNRT_FUZZ_SECONDS (default 25) seconds, corpus kept in build-fuzz/corpus/
#   oclgrind  every OpenCL kernel of test_ops and test_ops_crossmodal on small shapes under
#             oclgrind --data-races: no invalid access, no race, no API error, every kernel
#             of kernels_cl/ run
#   valgrind  memcheck of `fnrt infer -b ref` on one image (no error, no leak) and of
#             `fnrt devices` (ICD loader + PoCL; tests/sanitizers/valgrind.supp); an OpenCL
#             inference too with FNRT_VALGRIND_OPENCL=1 (slow: PoCL compiles under memcheck)
#
# The ctest summary lines come last.  Usage:
#   tools/run-tests.sh                  all phases
#   tools/run-tests.sh -L unit ...      ctest arguments: only the ctest phase, with them
#   FNRT_PHASES="ctest fuzz" tools/run-tests.sh     a choice of phases
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tools/install-deps.sh || exit 1

JOBS=$(nproc)
if [ $# -gt 0 ]; then PHASES=${FNRT_PHASES:-ctest}; else PHASES=${FNRT_PHASES:-ctest asan tsan fuzz oclgrind valgrind}; fi
FUZZ_SECONDS=${FNRT_FUZZ_SECONDS:-25}
SAN=$ROOT/tests/sanitizers
LOGS=$ROOT/build/phase-logs
results=()
failed=0
ctest_summary=""

has_phase() { [[ " $PHASES " == *" $1 "* ]]; }
say() { printf '\n=== %s ===\n' "$*"; }
record() { # record PHASE STATUS SECONDS DETAIL
  results+=("$(printf '%-9s %s  %4ss  %s' "$1" "$2" "$3" "$4")")
  echo "$1: $2 ($3 s) $4"
  [ "$2" = PASS ] || failed=1
}
# configure+build DIR [cmake args...]: quiet unless it fails
build_dir() {
  local dir=$1; shift
  mkdir -p "$LOGS"
  if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$LOGS/$(basename "$dir")-cmake.log" 2>&1; then
    tail -30 "$LOGS/$(basename "$dir")-cmake.log"; return 1; fi
  if ! cmake --build "$dir" -j"$JOBS" ${FNRT_BUILD_TARGETS:-} >"$LOGS/$(basename "$dir")-build.log" 2>&1; then
    grep -E "error|Error" "$LOGS/$(basename "$dir")-build.log" | head -30; return 1; fi
}

# ---- ctest ----------------------------------------------------------------------------
if has_phase ctest; then
  say "ctest: build/"
  t0=$SECONDS
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$JOBS" || {
    record ctest FAIL $((SECONDS - t0)) "build failed"; exit 1; }
  mkdir -p "$LOGS"
  (cd build && ctest --output-on-failure -j"$JOBS" "$@") 2>&1 | tee "$LOGS/ctest.log"
  rc=${PIPESTATUS[0]}
  ctest_summary=$(grep -E "tests passed|tests failed out of|Total Test time" "$LOGS/ctest.log")
  if [ "$rc" = 0 ]; then record ctest PASS $((SECONDS - t0)) "$(grep -E 'tests passed' "$LOGS/ctest.log")"
  else record ctest FAIL $((SECONDS - t0)) "see above"; fi
fi

# ---- asan: the suite under AddressSanitizer + UBSan + LeakSanitizer ----------------------
if has_phase asan; then
  say "asan: build-asan/ (ASan + UBSan + LSan), ctest -LE slow"
  t0=$SECONDS
  # PoCL's and fnrt's kernel caches of build/: warm after the ctest phase, so PoCL does not
  # compile (LLVM's one-time allocations on a cold compile look like leaks to LSan)
  mkdir -p build/pocl-cache build/fnrt-cache
  if build_dir build-asan -DFNRT_SANITIZE=ON -DFNRT_TEST_CACHE_ROOT="$ROOT/build"; then
    (cd build-asan &&
      ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1:strict_string_checks=1:detect_stack_use_after_return=1" \
      LSAN_OPTIONS="suppressions=$SAN/lsan.supp:print_suppressions=0" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$SAN/ubsan.supp" \
      ctest --output-on-failure -j"$JOBS" -LE slow) 2>&1 | tee "$LOGS/asan.log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" = 0 ]; then record asan PASS $((SECONDS - t0)) "$(grep -E 'tests passed' "$LOGS/asan.log")"
    else record asan FAIL $((SECONDS - t0)) "$(grep -E 'tests passed|tests failed' "$LOGS/asan.log")"; fi
  else
    record asan FAIL $((SECONDS - t0)) "build-asan did not build"
  fi
fi

# ---- tsan: two sessions in two threads under ThreadSanitizer -----------------------------
if has_phase tsan; then
  say "tsan: build-tsan/ test_threads under ThreadSanitizer"
  t0=$SECONDS
  mkdir -p build/pocl-cache build/fnrt-cache
  if FNRT_BUILD_TARGETS="--target test_threads" build_dir build-tsan -DFNRT_TSAN=ON; then
    # CK_FORK=no: one process, so TSan sees the whole run; PoCL itself is not instrumented
    CK_FORK=no FNRT_TEST_DATA="$ROOT/tests/data" POCL_CACHE_DIR="$ROOT/build/pocl-cache" \
      FNRT_CACHE_DIR="$ROOT/build/fnrt-cache" \
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$SAN/tsan.supp" \
      build-tsan/tests/test_threads >"$LOGS/tsan.log" 2>&1
    rc=$?
    tail -5 "$LOGS/tsan.log"
    if [ "$rc" = 0 ] && ! grep -q "WARNING: ThreadSanitizer" "$LOGS/tsan.log"; then
      record tsan PASS $((SECONDS - t0)) "$(grep -E 'Checks:' "$LOGS/tsan.log")"
    else
      grep -A30 "WARNING: ThreadSanitizer" "$LOGS/tsan.log" | head -60
      record tsan FAIL $((SECONDS - t0)) "see $LOGS/tsan.log"
    fi
  else
    record tsan FAIL $((SECONDS - t0)) "build-tsan did not build"
  fi
fi

# ---- fuzz: libFuzzer targets, a short run each ------------------------------------------
if has_phase fuzz; then
  say "fuzz: build-fuzz/ (clang, libFuzzer + ASan + UBSan), ${FUZZ_SECONDS} s per target"
  t0=$SECONDS
  if CC=clang CXX=clang++ FNRT_BUILD_TARGETS="--target fuzz_png fuzz_safetensors fuzz_model" \
      build_dir build-fuzz -DFNRT_FUZZ=ON; then
    fuzz_ok=1 detail=""
    for t in png safetensors model; do
      case $t in
        png) seeds=tests/data/pngsuite; maxlen=65536 ;;
        safetensors) seeds=tests/fuzz/corpus/safetensors; maxlen=16384 ;;
        model) seeds=tests/fuzz/corpus/model; maxlen=65536 ;;
      esac
      corpus=build-fuzz/corpus/$t crashes=build-fuzz/crashes/$t
      mkdir -p "$corpus" "$crashes"
      ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        build-fuzz/tests/fuzz_$t -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=$maxlen -print_final_stats=1 -artifact_prefix="$crashes/" \
        -dict=tests/fuzz/$t.dict "$corpus" "$seeds" >"$LOGS/fuzz-$t.log" 2>&1
      rc=$?
      execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOGS/fuzz-$t.log" | grep -o '[0-9]*$')
      cov=$(grep -o 'cov: [0-9]*' "$LOGS/fuzz-$t.log" | tail -1)
      echo "fuzz_$t: exit $rc, ${execs:-?} executions, $cov, corpus $(ls "$corpus" | wc -l) files"
      detail="$detail $t:${execs:-?}"
      if [ "$rc" != 0 ]; then
        fuzz_ok=0
        grep -E "ERROR|SUMMARY|Test unit written|#[0-9]+ in" "$LOGS/fuzz-$t.log" | head -40
        echo "fuzz_$t: crasher kept in $crashes/; replay it with build/tests/fuzz_$t FILE"
      fi
    done
    if [ $fuzz_ok = 1 ]; then record fuzz PASS $((SECONDS - t0)) "executions$detail"
    else record fuzz FAIL $((SECONDS - t0)) "executions$detail"; fi
  else
    record fuzz FAIL $((SECONDS - t0)) "build-fuzz did not build"
  fi
fi

# ---- oclgrind: every kernel on small shapes, no invalid access or race ----------------------
# test_ops (FNR2R ops: Check cases conv, misc) and test_ops_crossmodal (add, max-merge, the
# strided ResNet convs: case ops), FNRT_TEST_SMALL=1, one Check case at a time (the 'device'
# case of test_ops compiles a broken kernel on purpose, and the compiler's message would look
# like an oclgrind report).  No --log: oclgrind truncates its log file at every new OpenCL
# context, i.e. at every test; its stderr keeps all.  One worker thread (--num-threads 1):
# work-groups then run in one fixed order, so that a report reproduces run after run.
#
# Which kernels ran comes from tests/sanitizers/cl-kernel-log.c, an LD_PRELOAD shim that logs
# every kernel clEnqueueNDRangeKernel accepted; it must precede oclgrind's runtime in
# LD_PRELOAD, hence the `sh -c` between oclgrind and the test.  Not from --inst-counts (which
# printed one "Instructions executed for kernel 'NAME'" table per kernel): oclgrind 21.10's
# InstructionCounter writes past the end of its count vector in workGroupComplete whenever a
# work-group calls a function (builtin) that earlier work-groups of the kernel did not, e.g.
# the scalar fmax of a tail work-group after the float4 fmax of the others (fnrt_maxmerge;
# fnrt_add with tanh).  That corrupted oclgrind's heap: test_ops_crossmodal passed all its
# checks and then aborted inside oclgrind ("free(): invalid size", "double free or
# corruption"), with one worker thread or several, depending on the heap layout: here 2 of 15
# runs with a warm program cache, 2 of 3 with a cold one.  Under valgrind the one invalid
# access (190 times in one run) is in oclgrind::InstructionCounter::workGroupComplete, just
# past a vector it allocated itself.  No fnrt code is needed for it:
# tests/sanitizers/oclgrind-inst-counts-bug.c (plain OpenCL, one kernel) aborts with
# --inst-counts every run and is clean without it (issue #4, 2026-11-25).  test_ops never
# aborted with --inst-counts; whether its kernels overran the vector too was not checked.
if has_phase oclgrind; then
  say "oclgrind: test_ops, test_ops_crossmodal (FNRT_TEST_SMALL=1) under oclgrind --data-races"
  t0=$SECONDS
  ocl_ok=1
  mkdir -p "$LOGS"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build build -j"$JOBS" --target test_ops test_ops_crossmodal >/dev/null || ocl_ok=0
  KLOG_SO=$ROOT/build/cl-kernel-log.so
  cc -O2 -Wall -Wextra -shared -fPIC -o "$KLOG_SO" "$SAN/cl-kernel-log.c" -ldl || ocl_ok=0
  : >"$LOGS/oclgrind-kernels.txt"
  for pc in test_ops:conv test_ops:misc test_ops_crossmodal:ops; do
    prog=${pc%%:*} case=${pc#*:}
    [ $ocl_ok = 1 ] || break
    CK_FORK=no CK_RUN_CASE=$case FNRT_TEST_SMALL=1 FNRT_TEST_DATA="$ROOT/tests/data" \
      FNRT_CACHE_DIR="$ROOT/build/oclgrind-cache" FNRT_CL_KERNEL_LOG="$LOGS/oclgrind-kernels.txt" \
      oclgrind --num-threads 1 --data-races --check-api \
      sh -c 'LD_PRELOAD="$0${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"' "$KLOG_SO" build/tests/$prog \
      >"$LOGS/oclgrind-$prog-$case.out" 2>"$LOGS/oclgrind-$prog-$case.err"
    rc=$?
    grep -E "Checks:" "$LOGS/oclgrind-$prog-$case.out" | sed "s/^/$prog $case: /"
    if [ "$rc" != 0 ] || [ -s "$LOGS/oclgrind-$prog-$case.err" ] ||
       ! grep -q "^100%: Checks:" "$LOGS/oclgrind-$prog-$case.out"; then
      ocl_ok=0
      echo "oclgrind $prog $case: exit $rc; its reports:"
      head -60 "$LOGS/oclgrind-$prog-$case.err"
      grep -E ":[FE]:" "$LOGS/oclgrind-$prog-$case.out" | head -20
    fi
  done
  # coverage: every __kernel of kernels_cl/ ran, but those listed (with a reason) in
  # tests/sanitizers/oclgrind-uncovered.txt
  all=$(grep -ho "__kernel void [a-zA-Z0-9_]*" kernels_cl/*.cl | awk '{print $3}' | sort -u)
  ran=$(sort -u "$LOGS/oclgrind-kernels.txt")
  allowed=$(sed 's/#.*//' "$SAN/oclgrind-uncovered.txt" | awk 'NF {print $1}' | sort -u)
  missing=$(comm -23 <(echo "$all") <(echo "$ran"))
  unexcused=$(comm -23 <(echo "$missing") <(echo "$allowed") | tr '\n' ' ')
  stale=$(comm -12 <(echo "$ran") <(echo "$allowed") | tr '\n' ' ')
  other=$(comm -13 <(echo "$all") <(echo "$ran") | tr '\n' ' ')
  n_ran=$(comm -12 <(echo "$all") <(echo "$ran") | grep -c .)
  echo "kernels run under oclgrind: $n_ran of $(echo "$all" | grep -c .)"
  [ -s "$LOGS/oclgrind-kernels.txt" ] || echo "no kernel logged: was $KLOG_SO preloaded before oclgrind's runtime?"
  [ -n "$missing" ] && echo "not run: $(echo "$missing" | tr '\n' ' ')"
  [ -n "${other// /}" ] && echo "note: run but not in kernels_cl/: $other"
  [ -n "${stale// /}" ] && echo "note: now covered, remove from oclgrind-uncovered.txt: $stale"
  if [ -n "${unexcused// /}" ]; then
    echo "kernels never run under oclgrind (add a small test_ops case): $unexcused"; ocl_ok=0; fi
  if [ $ocl_ok = 1 ]; then record oclgrind PASS $((SECONDS - t0)) "$n_ran kernels, no reports"
  else record oclgrind FAIL $((SECONDS - t0)) "see above"; fi
fi

# ---- valgrind: memcheck of the CLI on one image ------------------------------------------
if has_phase valgrind; then
  say "valgrind: memcheck of fnrt infer -b ref, and of the OpenCL device enumeration"
  t0=$SECONDS
  vg_ok=1
  [ -x build/fnrt ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$JOBS" --target fnrt-cli >/dev/null; } || vg_ok=0
  VT=$(mktemp -d)
  VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
      --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=40
      --suppressions="$SAN/valgrind.supp")
  # vg_run NAME CMD...: passes when the command exits 0 under memcheck (errors or definite/
  # indirect leaks make it exit 99)
  vg_run() {
    local name=$1; shift
    "${VG[@]}" "$@" >"$LOGS/valgrind-$name.log" 2>&1
    local rc=$?
    grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$LOGS/valgrind-$name.log" | sed "s/^/$name: /"
    if [ "$rc" != 0 ]; then vg_ok=0; echo "$name: exit $rc"; tail -80 "$LOGS/valgrind-$name.log"; fi
  }
  if [ $vg_ok = 1 ]; then
    # the whole CLI path on one image: PNG decode, resize, model load, inference, PNG + NPY out
    vg_run ref build/fnrt infer -q -b ref -m tests/data/fnr2r-tiny.safetensors \
      -o "$VT/ref.png" --exemplar "$VT/ref-ex.npy" tests/data/face-256.png
    [ -s "$VT/ref.png" ] && [ -s "$VT/ref-ex.npy" ] || { vg_ok=0; echo "ref: no output written"; }
    # OpenCL through the ICD loader and PoCL: platform/device queries and their cleanup
    vg_run opencl-devices build/fnrt devices
    # An OpenCL inference under valgrind compiles every program inside PoCL under memcheck
    # (PoCL sees a CPU without AVX-512 there, so build/pocl-cache does not help): over ten
    # minutes cold, so only on request.  build/valgrind-pocl-cache keeps it warm afterwards.
    if [ "${FNRT_VALGRIND_OPENCL:-0}" = 1 ]; then
      mkdir -p build/valgrind-pocl-cache
      POCL_CACHE_DIR="$ROOT/build/valgrind-pocl-cache" FNRT_CACHE_DIR="$VT/fnrt-cache" \
        vg_run opencl-infer build/fnrt infer -q -m tests/fuzz/corpus/model/micro-f16.safetensors \
        -o "$VT/cl.png" tests/data/face-256.png
    else
      echo "opencl-infer: skipped (FNRT_VALGRIND_OPENCL=1 runs it; >10 min with a cold cache)"
    fi
  fi
  rm -rf "$VT"
  if [ $vg_ok = 1 ]; then record valgrind PASS $((SECONDS - t0)) "0 errors, no definite/indirect leaks"
  else record valgrind FAIL $((SECONDS - t0)) "see above"; fi
fi

# ---- summary ----------------------------------------------------------------------------
echo
echo "=== phases ==="
for r in "${results[@]}"; do echo "$r"; done
if [ -n "$ctest_summary" ]; then echo; echo "$ctest_summary"; fi
exit $failed
