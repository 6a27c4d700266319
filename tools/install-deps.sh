#!/usr/bin/env bash
# Installs what fnrt needs to build and test on Debian 12 (apt).  Idempotent: does nothing
# (and needs no network) when everything is already installed.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libpng-dev libjansson-dev            # PNG I/O, safetensors/JSON headers
  ocl-icd-opencl-dev opencl-headers    # OpenCL ICD loader + headers
  pocl-opencl-icd clinfo               # PoCL: OpenCL on the CPU (the CI device)
  check libsubunit-dev                 # unit tests
  python3 python3-numpy                # test-time model generator (tools/random-model.py)
  clang libclang-rt-14-dev llvm        # fuzz targets: libFuzzer + ASan/UBSan runtimes, symbolizer
  oclgrind valgrind                    # kernel checks (--data-races), memcheck of the CLI
)
# Optional: XRT (AMD/Xilinx Alveo) for the xrt backend and its noop-shim tests (label xrt);
# installed when the distribution has it (Debian 12: 202210.2.13), else the build leaves the
# xrt backend out and test_xrt reports itself skipped.
XRT_PKGS=(libxrt-dev libxrt1 libxrt-utils)
# Optional, for regenerating golden data / converting checkpoints (not needed by CI):
#   apt-get install python3-torch python3-pil

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
xrt_missing=()
for p in "${XRT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || xrt_missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ ${#xrt_missing[@]} -eq 0 ]; then
  exit 0
fi
echo "fnrt: installing: ${missing[*]} ${xrt_missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ ${#xrt_missing[@]} -gt 0 ]; then
  if apt-cache policy "${xrt_missing[@]}" 2>/dev/null | grep -q "Candidate: [0-9]"; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
      "${xrt_missing[@]}" || echo "fnrt: XRT packages not installed: xrt backend left out"
  else
    echo "fnrt: no XRT packages (${xrt_missing[*]}) here: xrt backend left out"
  fi
fi
