#!/usr/bin/env bash
# bench_speed_drift.sh - drift of the --speed X scaled clock over a long run.
#   usage: tools/bench/bench_speed_drift.sh BUILD_DIR [SPEED] [RUNS]
# Runs `cablesim run --speed SPEED --log DIR` on the bundled sample (about
# 21.5 sim hours of traffic: ~32 s of wall time at the default SPEED 3600)
# RUNS times (default 3) and reads every delivery log record back with
# `cablesim log DIR --format jsonl`. For each record the drift is
#   (sim - sim0) - SPEED * (wall - wall0)     in sim milliseconds,
# (sim0, wall0) being the first record's sim_time and wall_time. Positive:
# the record's sim time is ahead of the first record's clock; negative: it
# lags (a party whose clock started later, or an event handled late). Per
# run it finds:
#   final_drift_ms     the drift of the last record of the run (by wall time)
#   final_drift_frac   the same as a fraction of the sim time elapsed
#   max_abs_drift_ms   the largest |drift| of any record
#   growth_ms          the upper envelope of the drift (its maximum: the
#                      records handled without delay) over the last tenth
#                      of the run's wall span minus that over the first
#                      tenth: a clock that drifts makes it grow with the
#                      run's length; a constant offset does not
#   start_offset_ms    that envelope over the first tenth: how late the
#                      first record itself was written (start-up work before
#                      the event loop runs); final_drift_ms minus it is how
#                      late the last record was
#   party_spread_ms    the largest minus the smallest per-party envelope:
#                      how far apart the clocks of the parties are
# and prints one key=value line: wall_s (the median wall time of a run), then
# median, min and max over the runs of each figure (drift in sim ms; divide by
# SPEED for wall ms), and failed_runs. Per-run figures go to stderr.
set -euo pipefail
usage() { echo "usage: bench_speed_drift.sh BUILD_DIR [SPEED] [RUNS]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
build=$1
speed=${2:-3600}
runs=${3:-3}
[[ $speed =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v s="$speed" 'BEGIN { exit !(s > 0) }' ||
    { echo "bench_speed_drift: SPEED must be a number above 0, not '$speed'" >&2; usage; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench_speed_drift: RUNS must be a whole number above 0, not '$runs'" >&2; usage; }
bin=$build/tools/cablesim
[ -x "$bin" ] || { echo "bench_speed_drift: no $bin (build the cablesim target first)" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench_speed_drift: needs jq" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cablesim-drift.XXXXXX")
run_pid=
cleanup() {
    if [ -n "$run_pid" ]; then kill "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One line per record: party, then sim and wall time as whole seconds since
# 1970 and microseconds (kept apart so that no precision is lost in awk).
to_rows() {
    jq -r 'def t: capture("^(?<s>[^.]+)\\.(?<f>[0-9]{6})Z$") | "\((.s + "Z") | fromdate) \(.f)";
           "\(.party) \(.sim_time | t) \(.wall_time | t)"' "$1"
}

: >"$work/results"
for i in $(seq "$runs"); do
    echo "bench_speed_drift: run $i of $runs (--speed $speed)" >&2
    rm -rf "$work/log"
    t=$(date +%s%N)
    rc=0
    "$bin" run --speed "$speed" --log "$work/log" >"$work/out" 2>"$work/err" &
    run_pid=$!
    wait "$run_pid" || rc=$?
    run_pid=
    wall=$(( ($(date +%s%N) - t) / 1000000 ))
    if [ "$rc" -ne 0 ]; then
        echo "bench_speed_drift: run $i exited $rc:" >&2
        tail -n 3 "$work/err" "$work/out" >&2
    fi
    if ! "$bin" log "$work/log" --format jsonl >"$work/log.jsonl"; then
        echo "bench_speed_drift: run $i left no delivery logs to read" >&2
        exit 1
    fi
    to_rows "$work/log.jsonl" | awk -v X="$speed" -v wall_ms="$wall" -v rc="$rc" '
        NR == 1 { s0 = $2; s0u = $3; w0 = $4; w0u = $5 }
        {
            ds = ($2 - s0) + ($3 - s0u) / 1e6          # sim seconds since the first record
            dw = ($4 - w0) + ($5 - w0u) / 1e6          # wall seconds since the first record
            d = (ds - X * dw) * 1000                   # drift, sim ms
            n++; w[n] = dw; dr[n] = d
            a = d < 0 ? -d : d
            if (a > maxabs) maxabs = a
            if (n == 1 || dw >= lastw) { lastw = dw; last = d; lasts = ds }
            if (!($1 in env) || d > env[$1]) env[$1] = d
        }
        END {
            if (n < 2) { print "bench_speed_drift: fewer than 2 log records" > "/dev/stderr"; exit 1 }
            for (k = 1; k <= n; k++) {
                if (w[k] <= lastw / 10 && (!hf || dr[k] > first_env)) { first_env = dr[k]; hf = 1 }
                if (w[k] >= lastw * 9 / 10 && (!hl || dr[k] > last_env)) { last_env = dr[k]; hl = 1 }
            }
            for (p in env) {
                if (!hp || env[p] > pmax) pmax = env[p]
                if (!hp || env[p] < pmin) pmin = env[p]
                hp = 1
            }
            printf "%.1f %.9f %.1f %.1f %.1f %.3f %d %d %.1f %.1f\n", last, (lasts > 0 ? last / 1000 / lasts : 0),
                maxabs, last_env - first_env, pmax - pmin, wall_ms / 1000, rc, n, lasts, first_env
        }' >>"$work/results"
    read -r fd fr ma gr ps ws _ nrec span so < <(tail -n 1 "$work/results")
    echo "bench_speed_drift: run $i: records=$nrec sim_span_s=$span wall_s=$ws final_drift_ms=$fd" \
         "final_drift_frac=$fr max_abs_drift_ms=$ma growth_ms=$gr start_offset_ms=$so" \
         "party_spread_ms=$ps exit=$rc" >&2
done

sort_col() { awk -v c="$1" '{ print $c }' "$work/results" | sort -g; }
stats() { # NAME COLUMN FORMAT: NAME_median= NAME_min= NAME_max=
    sort_col "$2" | awk -v name="$1" -v fmt="$3" '
        function f(x,  s) { s = sprintf(fmt, x); if (s ~ /^-0\.?0*$/) s = substr(s, 2); return s }
        { v[NR] = $1 }
        END {
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%s_median=%s %s_min=%s %s_max=%s", name, f(m), name, f(v[1]), name, f(v[NR])
        }'
}
line="bench=speed_drift speed=$speed runs=$runs"
line+=" wall_s=$(sort_col 6 | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
line+=" $(stats final_drift_ms 1 %.1f)"
line+=" $(stats final_drift_frac 2 %.6f)"
line+=" $(stats max_abs_drift_ms 3 %.1f)"
line+=" $(stats growth_ms 4 %.1f)"
line+=" $(stats start_offset_ms 10 %.1f)"
line+=" $(stats party_spread_ms 5 %.1f)"
line+=" failed_runs=$(awk '$7 != 0' "$work/results" | wc -l)"
echo "$line"
