#!/usr/bin/env bash
# Build and run the whole test suite: a warnings-as-errors build, the same
# tests under AddressSanitizer + UndefinedBehaviorSanitizer, and the fuzz
# targets for a bounded time. FUZZ_SECONDS sets the time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=$(nproc)
if [ "${CI:-}" = "true" ]; then
    export CABLESIM_REQUIRE_SHARED=1   # the real-corpus tests must not skip in CI
fi

echo "== build (warnings are errors) and test" >&2
cmake -S . -B build -DSIM_WERROR=ON >/dev/null
cmake --build build -j"$jobs" >/dev/null
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== build and test under address,undefined sanitizers" >&2
cmake -S . -B build-asan -DSIM_WERROR=ON -DSIM_SANITIZE=address,undefined \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"

if [ -d tests/fuzz ] && ls tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
    echo "== fuzz targets, ${FUZZ_SECONDS:-30} s each" >&2
    CC=clang cmake -S . -B build-fuzz -DSIM_FUZZ=ON -DSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-fuzz -j"$jobs" >/dev/null
    bash tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-30}"
fi
