#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install what is needed, build, and run the main
# job (the bundled default model on the sample face) -> face-normals.png in the repo root.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
MODEL=models/fnrt-default.safetensors
build/fnrt infer -m "$MODEL" -o face-normals.png --panel face-panel.png --force samples/face.png
echo "fnrt: wrote face-normals.png (normal map of samples/face.png) and face-panel.png"
echo "      (input | exemplar | normals | relit)"
