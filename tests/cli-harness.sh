# Shell test harness sourced by the command-line tests (test_cli.sh, test_cli_crossmodal.sh,
# test_diag.sh):  . "$(dirname "${BASH_SOURCE[0]}")/cli-harness.sh"
# Sets FNRT ($FNRT_CLI, the built fnrt), DATA ($FNRT_TEST_DATA, tests/data), PY
# ($FNRT_PYTHON or /usr/bin/python3, with numpy), T (a temporary directory removed at exit)
# and the counters pass/fail; defines ok, bad, expect_rc, expect_out, expect_no_out and
# finish.  HARNESS_MERGED=1 (set before expect_rc) sends a command's stderr to $T/out.txt
# with its stdout; by default it goes to $T/err.txt.
set -u
FNRT=${FNRT_CLI:?}
DATA=${FNRT_TEST_DATA:?}
PY=${FNRT_PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
HARNESS_MERGED=${HARNESS_MERGED:-0}

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
# expect_rc WANT NAME CMD...: runs CMD (stdout to $T/out.txt, stderr to $T/err.txt or, with
# HARNESS_MERGED=1, to $T/out.txt too), checks its exit status; on failure shows the first
# lines of stderr (merged: the last lines of the output)
expect_rc() {
  local want=$1 name=$2; shift 2
  if [ "$HARNESS_MERGED" = 1 ]; then
    "$@" >"$T/out.txt" 2>&1
  else
    "$@" >"$T/out.txt" 2>"$T/err.txt"
  fi
  local rc=$?
  if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else
    bad "$name: exit $rc, want $want"
    if [ "$HARNESS_MERGED" = 1 ]; then sed 's/^/     /' "$T/out.txt" | tail -8; else
      sed 's/^/     /' "$T/err.txt" | head -5; fi
  fi
}
# expect_out NAME REGEX: the last command's output matches
expect_out() {
  if grep -Eq -- "$2" "$T/out.txt"; then ok "$1"; else
    bad "$1: no line matches /$2/"; sed 's/^/     /' "$T/out.txt" | tail -8; fi
}
expect_no_out() {
  if grep -Eq -- "$2" "$T/out.txt"; then bad "$1: a line matches /$2/"; else ok "$1"; fi
}
# finish PREFIX: prints "PREFIX<pass> passed, <fail> failed"; true when nothing failed
finish() {
  echo "$1$pass passed, $fail failed"
  [ "$fail" = 0 ]
}
