#!/usr/bin/env bash
# bench_replay.sh - an --asap replay of N generated cables on the bundled
# sample network, RUNS times: cables/s, time reports per cable and peak RSS,
# as key=value lines (median, min, max over the runs).
#   usage: tools/bench/bench_replay.sh [BUILD_DIR] [N] [RUNS] [CORPUS]
# With CORPUS (e.g. ../shared/cables/real) that corpus is replayed instead,
# on a network generated from it.
set -euo pipefail
build=${1:-build-rel}
n=${2:-10000}
runs=${3:-3}
corpus=${4:-}
bin="$build/tools/cablesim"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$corpus" ]; then
  "$bin" gen --count "$n" --seed 7 --out "$work/cables" >/dev/null
  corpus="$work/cables"
  args=(--network corpus/sample/network.yaml --corpus "$corpus")
else
  args=(--corpus "$corpus")
fi
for i in $(seq "$runs"); do
  python3 - "$bin" "${args[@]}" <<'PY' >> "$work/results"
import resource, subprocess, sys, re, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:2] + ["run"] + sys.argv[2:], capture_output=True, text=True)
el = time.monotonic() - t
m = re.search(r"originated: (\d+)", p.stdout)
r = re.search(r"time reports (\d+)", p.stderr)
orig = int(m.group(1)) if m else 0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{orig / el:.1f} {int(r.group(1)) / max(orig, 1) if r else 0:.2f} {rss} {p.returncode}")
PY
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
for i, name in enumerate(["cables_per_s", "time_reports_per_cable", "peak_rss_kib"]):
    v = [r[i] for r in rows]
    print(f"{name}_median={statistics.median(v):.2f} {name}_min={min(v):.2f} {name}_max={max(v):.2f}")
print(f"runs={len(rows)} failed_runs={sum(1 for r in rows if r[3] != 0)}")
PY
