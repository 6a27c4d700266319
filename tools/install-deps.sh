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
)
# Optional, for regenerating golden data / converting checkpoints (not needed by CI):
#   apt-get install python3-torch python3-pil

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "fnrt: installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
