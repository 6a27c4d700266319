#!/usr/bin/env bash
# How models/fnrt-default.safetensors was made (run on one NVIDIA H100 with PyTorch 2.11;
# works on a CPU too with `--minutes` raised, see tools/train.py --help).
#   1. 12,000 synthetic training faces (fnrt-facegen, seed 1) as shards;
#   2. the 32-image evaluation set (seed 777) = tests/data/eval-synth (held out: other seed);
#   3. tools/train.py, quarter width, both stages in a 5.6-minute budget (40% coarse);
#   4. tools/fnrt-convert.py -> models/fnrt-default.safetensors (F32, 19.3 MB).
# Usage: tools/train-default.sh FACEMODEL.safetensors WORKDIR
set -euo pipefail
FACE=${1:?ict-face.safetensors path}
WORK=${2:?work directory}
cd "$(dirname "$0")/.."
PY=${FNRT_PYTHON:-/usr/bin/python3}
cmake -S . -B build >/dev/null && cmake --build build --target fnrt-facegen -j"$(nproc)"
mkdir -p "$WORK/data" "$WORK/eval" "$WORK/ckpt"
build/fnrt-facegen --model "$FACE" --out "$WORK/data" --count 12000 --format shards \
  --threads "$(nproc)" --seed 1
build/fnrt-facegen --model "$FACE" --out "$WORK/eval" --count 32 --seed 777
"$PY" tools/train.py --data "$WORK/data" --eval "$WORK/eval" --out "$WORK/ckpt" --stage both \
  --width quarter --minutes 5.6 --split 0.4 --eval-minutes 1.5 --ckpt-minutes 1
"$PY" tools/fnrt-convert.py --coarse "$WORK/ckpt/p1_coarse.pkl" \
  --refiner "$WORK/ckpt/p2_refiner.pt" -o models/fnrt-default.safetensors --force
