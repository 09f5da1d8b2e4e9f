#!/usr/bin/env bash
# Install, build, and run the main job on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
build/tools/cablesim lint corpus/sample/cables | tail -n 1
build/tools/cablesim show corpus/sample/cables/$(ls corpus/sample/cables | head -n 1)
# The main job: replay the sample through the simulated network.
build/tools/cablesim run
