#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - run every libFuzzer target built in BUILD_DIR
# (a tree configured with CC=clang -DSIM_FUZZ=ON) for SECONDS each.
#
# Each target starts from a scratch copy of its seeds, tests/fuzz/seeds/<target>/
# (plus, for fuzz_cable, the bundled sample cables in corpus/sample/cables/ and
# the parser's test cables tests/data/*.cable), so the tree stays clean. Prints
# one line per target on stdout: its executions and the verdict. Crash inputs
# are kept in BUILD_DIR/fuzz-artifacts/ and the end of the fuzzer's log goes to
# stderr. Exit status: 0 when no target found anything, 1 when one did (crash,
# leak, timeout, out of memory), 2 on usage errors or when nothing is built.
set -uo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no build folder $1" >&2; exit 2; }
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
artifacts="$build/fuzz-artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/cablesim-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"

targets=()
for exe in "$build"/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe")
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "$0: no fuzz targets in $build/tests/fuzz (configure with CC=clang -DSIM_FUZZ=ON)" >&2
    exit 2
fi

# Seeds into a fresh corpus folder; libFuzzer adds what it finds there.
seed_corpus() {
    local name=$1 dir=$2
    mkdir -p "$dir"
    if [ -d "$here/seeds/$name" ]; then
        cp -R "$here/seeds/$name/." "$dir/"
    fi
    if [ "$name" = fuzz_cable ]; then
        if [ -d "$root/corpus/sample/cables" ]; then
            find "$root/corpus/sample/cables" -type f -exec cp {} "$dir/" \;
        fi
        if [ -d "$root/tests/data" ]; then
            find "$root/tests/data" -maxdepth 1 -type f -name '*.cable' -exec cp {} "$dir/" \;
        fi
    fi
}

failed=0
for exe in "${targets[@]}"; do
    name=$(basename "$exe")
    corpus="$work/corpus-$name"
    log="$work/$name.log"
    seed_corpus "$name" "$corpus"
    # -timeout: one input running this long is a hang; -rss_limit_mb is libFuzzer's default.
    "$exe" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
    if [ -z "$runs" ]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    fi
    if [ "$status" -eq 0 ]; then
        echo "$name: ${runs:-?} executions in ${seconds} s, ok"
    else
        failed=1
        found=$(grep -o "$artifacts/$name-[^ ]*" "$log" | tail -n 1)
        echo "$name: ${runs:-?} executions, FAILED (exit $status)${found:+, input in $found}"
        echo "---- last lines of the $name log ----" >&2
        tail -n 40 "$log" >&2
    fi
done
exit $failed
