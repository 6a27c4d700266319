#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install what is needed, build, and run the main
# job (the bundled default model on the sample face) -> face-normals.png in the repo root.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
MODEL=models/fnrt-default.safetensors
if [ ! -f "$MODEL" ]; then
  echo "fnrt: built build/fnrt, but no default model is bundled yet ($MODEL)."
  echo "      Convert a published FNR2R checkpoint pair (see README, 'Models'), e.g.:"
  echo "      python3 tools/fnrt-convert.py --coarse p1_ckpt_200.pkl --refiner p2_ckpt_150.pt -o $MODEL"
  exit 0
fi
build/fnrt infer -m "$MODEL" -o face-normals.png --force samples/face.png
echo "fnrt: wrote face-normals.png"
