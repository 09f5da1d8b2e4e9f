#!/usr/bin/env bash
# bench_router.sh BUILD_DIR [RUNS] [SECONDS] - end-to-end cables/s through one
# router process with its journal on (64 stations, 1 KB cables, no link
# model), driven by a separate load process, next to two baselines measured
# in the same run the same way: a bare libuv relay and the same relay
# appending every frame to a file with group-commit fdatasync. Runs the three
# in turn RUNS times (default 3), SECONDS each (default 10), and prints one
# JSON object with median, min and max of each figure, the router's
# fdatasyncs per cable and CPU per cable, and the load process's CPU. The
# target compares with the relay moving 1 KB frames; the group-commit relay
# is also measured with frames as big as the router's cables in msgpack (a
# cable of 1024 bytes of text is about 1.4 KB on the wire), the same bytes.
# Also measures precedence under load (FLASH vs ROUTINE p99 latency with a
# saturating ROUTINE mix). Needs python3 for the statistics.
set -euo pipefail
build=$(cd "${1:?usage: bench_router.sh BUILD_DIR [RUNS] [SECONDS]}" && pwd)
runs=${2:-3}
secs=${3:-10}
stations=64
bin=$build/tools/cablesim
relay=$build/tools/bench/bench_relay
rload=$build/tools/bench/bench_relay_load
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cablesim-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# Starts "$@" in the background, waits for its "listening on HOST:PORT" line
# and sets $bg_pid and $bg_port.
start_listener() {
    local out=$1; shift
    "$@" >"$out" 2>"$out.err" &
    bg_pid=$!
    pids+=("$bg_pid")
    for _ in $(seq 1 500); do
        if grep -q '^listening on' "$out" 2>/dev/null; then
            bg_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -n1)
            return 0
        fi
        kill -0 "$bg_pid" 2>/dev/null || { cat "$out.err" >&2; return 1; }
        sleep 0.02
    done
    echo "bench_router: $1 did not start" >&2
    return 1
}

stop_listener() {
    kill -"${2:-INT}" "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# The network: one router, $stations synthetic stations.
{
    echo "routers:"
    echo "  - {name: load-switch, listen: 127.0.0.1:47999}"
    echo "stations:"
    for i in $(seq 0 $((stations - 1))); do
        letters=ABCDEFGHIJKLMNOPQRSTUVWXYZ
        ri=RUZZ${letters:$((i / 676 % 26)):1}${letters:$((i / 26 % 26)):1}${letters:$((i % 26)):1}
        echo "  - {ri: $ri, pla: LOAD STATION ${ri:4}, kind: mission, router: load-switch}"
    done
} >"$tmp/net.yaml"

: >"$tmp/results"
for run in $(seq 1 "$runs"); do
    echo "bench_router: run $run of $runs" >&2
    start_listener "$tmp/bare.out" "$relay" --listen 127.0.0.1:0
    "$rload" --relay "127.0.0.1:$bg_port" --stations $stations --size 1024 --duration "$secs" \
        >"$tmp/bare.load"
    stop_listener "$bg_pid" INT
    echo "bare $(cat "$tmp/bare.load") $(tail -n1 "$tmp/bare.out")" >>"$tmp/results"

    start_listener "$tmp/gc.out" "$relay" --listen 127.0.0.1:0 --log "$tmp/relay.log"
    "$rload" --relay "127.0.0.1:$bg_port" --stations $stations --size 1024 --duration "$secs" \
        >"$tmp/gc.load"
    stop_listener "$bg_pid" INT
    rm -f "$tmp/relay.log"
    echo "gc $(cat "$tmp/gc.load") $(tail -n1 "$tmp/gc.out")" >>"$tmp/results"

    rm -rf "$tmp/journal"
    start_listener "$tmp/rtr.out" "$bin" router --network "$tmp/net.yaml" --name load-switch \
        --listen 127.0.0.1:0 --journal "$tmp/journal" --no-link-model
    /usr/bin/env time -f '%U %S' -o "$tmp/load.time" \
        "$bin" load --router "127.0.0.1:$bg_port" --network "$tmp/net.yaml" \
        --stations $stations --size 1024 --duration "$secs" --drain 60 --single --json \
        >"$tmp/rtr.load" 2>"$tmp/rtr.load.err" || true
    stop_listener "$bg_pid" TERM
    echo "router $(tr -d '\n ' <"$tmp/rtr.load") $(tail -n1 "$tmp/rtr.out.err") LOADCPU $(cat "$tmp/load.time")" >>"$tmp/results"

    # The group-commit relay again, with frames as big as the router's cables
    # in msgpack (a 1 KB cable of text is more on the wire): the same bytes.
    same=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["cable_bytes_mean"]))' \
        "$tmp/rtr.load" 2>/dev/null || echo 0)
    if [ "${same:-0}" -gt 0 ]; then
        start_listener "$tmp/gcs.out" "$relay" --listen 127.0.0.1:0 --log "$tmp/relay.log"
        "$rload" --relay "127.0.0.1:$bg_port" --stations $stations --size "$same" \
            --duration "$secs" >"$tmp/gcs.load"
        stop_listener "$bg_pid" INT
        rm -f "$tmp/relay.log"
        echo "gcsame $(cat "$tmp/gcs.load") $(tail -n1 "$tmp/gcs.out") SIZE $same" >>"$tmp/results"
    fi

    # Precedence under a saturating ROUTINE load: each station holds a
    # backlog of 1000 cables in precedence order (as a station's outgoing
    # traffic waits for its circuit) and keeps 4 unacknowledged on the
    # circuit, so that what waits, waits where precedence decides.
    rm -rf "$tmp/journal"
    start_listener "$tmp/rtr.out" "$bin" router --network "$tmp/net.yaml" --name load-switch \
        --listen 127.0.0.1:0 --journal "$tmp/journal" --no-link-model
    "$bin" load --router "127.0.0.1:$bg_port" --network "$tmp/net.yaml" --stations $stations \
        --size 1024 --duration "$secs" --drain 60 --mix Z:1,R:99 --single --window 4 \
        --queue 1000 --json \
        >"$tmp/prec.load" 2>/dev/null || true
    stop_listener "$bg_pid" TERM
    echo "prec $(tr -d '\n ' <"$tmp/prec.load")" >>"$tmp/results"
done

python3 - "$tmp/results" "$secs" <<'PY'
import json, re, statistics, sys
rows = open(sys.argv[1]).read().splitlines()
secs = float(sys.argv[2])
fig = {}
def add(k, v):
    fig.setdefault(k, []).append(v)
for r in rows:
    kind, rest = r.split(' ', 1)
    objs = re.findall(r'\{.*?\}(?=\s|$)', rest)
    if kind == 'gcsame':
        load = json.loads(rest.split(' ')[0])
        add('gc_same_bytes_frames_per_s', load['frames_per_s'])
        add('gc_same_bytes_frame_bytes', float(rest.rsplit(' ', 1)[1]))
    elif kind in ('bare', 'gc'):
        load = json.loads(rest.split(' ')[0])
        srv = json.loads(rest.split(' ', 1)[1])
        add(kind + '_frames_per_s', load['frames_per_s'])
        add(kind + '_server_cpu_us_per_frame', 1e6 * srv['cpu_s'] / max(srv['frames'], 1))
        if kind == 'gc':
            add('gc_fdatasyncs_per_frame', srv['fdatasyncs'] / max(srv['frames'], 1))
    elif kind == 'router':
        js, tail = rest.split(' ', 1)
        load = json.loads(js)
        add('router_cables_per_s', load['total']['throughput_cps'])
        if 'cable_bytes_mean' in load:
            add('router_cable_bytes', load['cable_bytes_mean'])
        add('router_lost', load['total']['lost'])
        add('router_duplicates', load['total']['duplicates'])
        m = re.search(r'accepted (\d+), copies delivered (\d+).*fdatasyncs (\d+), cpu ([0-9.]+) s', tail)
        if m:
            acc, dl, fs, cpu = int(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4))
            add('router_fdatasyncs_per_cable', fs / max(acc, 1))
            add('router_cpu_us_per_delivery', 1e6 * cpu / max(dl, 1))
        m = re.search(r'LOADCPU ([0-9.]+) ([0-9.]+)', tail)
        if m:
            add('load_process_cpu_s', float(m.group(1)) + float(m.group(2)))
    elif kind == 'prec':
        load = json.loads(rest)
        z = load['by_precedence']['FLASH']['latency_us']['p99']
        rr = load['by_precedence']['ROUTINE']['latency_us']['p99']
        if z is not None and rr:
            add('flash_p99_us', z)
            add('routine_p99_us', rr)
            add('flash_to_routine_p99', z / rr)
out = {'benchmark': 'router', 'runs': len(fig.get('bare_frames_per_s', [])), 'seconds': secs,
       'stations': 64, 'cable_bytes': 1024}
for k, v in fig.items():
    out[k] = {'median': round(statistics.median(v), 4), 'min': round(min(v), 4), 'max': round(max(v), 4)}
if 'router_cables_per_s' in fig and 'gc_frames_per_s' in fig:
    ratios = [a / b for a, b in zip(fig['router_cables_per_s'], fig['gc_frames_per_s']) if b]
    out['router_over_group_commit_relay'] = {'median': round(statistics.median(ratios), 3),
                                             'min': round(min(ratios), 3), 'max': round(max(ratios), 3)}
if 'router_cables_per_s' in fig and 'gc_same_bytes_frames_per_s' in fig:
    ratios = [a / b for a, b in zip(fig['router_cables_per_s'], fig['gc_same_bytes_frames_per_s']) if b]
    out['router_over_group_commit_relay_same_bytes'] = {
        'median': round(statistics.median(ratios), 3), 'min': round(min(ratios), 3),
        'max': round(max(ratios), 3)}
print(json.dumps(out))
PY
