#!/usr/bin/env bash
# bench_host_stations.sh - memory per station of one station host (`cablesim
# node`) holding N stations on one event loop, each connected to its router.
#   usage: tools/bench/bench_host_stations.sh BUILD_DIR [N] [RUNS] [PER_ROUTER]
# Each run writes a network of N stations (RIs RUZ + four letters, all with
# `host: big`), starts its routers (`cablesim router`, one per PER_ROUTER
# stations, default 10000: one router, which takes as many connections as
# its open-file limit allows; with several, they are joined by trunks in a
# star around the first), starts `cablesim node
# --host big --speed 1` with no replay, and waits until every station's
# connection is established and idle (the TCP sockets of the host and of
# the routers in /proc/net/tcp: one per station and one per trunk end, all
# ESTABLISHED with nothing queued either way, twice in a row, within 300 s).
# Then it reads
# VmRSS and VmHWM of the host from /proc/PID/status and stops everything
# with SIGTERM. The same is done with 100 stations first, as the baseline
# of the same run; bytes per station is (RSS_N - RSS_100) / (N - 100).
# Prints one key=value line per run:
#   bench=host_stations stations=N rss_kb= hwm_kb= baseline_rss_kb=
#     bytes_per_station= connect_s= host_cpu_s= router_rss_kb=
# (connect_s: from the host's start until all stations are connected;
# host_cpu_s: the host's CPU time until then; router_rss_kb: the routers'
# VmRSS, summed), then one line with the median,
# min and max of each over the RUNS (default 3) runs, as bench_replay.sh does.
set -euo pipefail
usage() { echo "usage: bench_host_stations.sh BUILD_DIR [N] [RUNS] [PER_ROUTER]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 4 ] || usage
build=$1
n=${2:-10000}
runs=${3:-3}
per_router=${4:-10000}
small=100
whole() { [[ $2 =~ ^[1-9][0-9]*$ ]] ||
    { echo "bench_host_stations: $1 must be a whole number above 0, not '$2'" >&2; usage; }; }
whole N "$n"
whole RUNS "$runs"
whole PER_ROUTER "$per_router"
[ "$n" -gt "$small" ] || { echo "bench_host_stations: N must be above the baseline's $small stations" >&2; usage; }
[ "$n" -le 456976 ] || { echo "bench_host_stations: N is at most 456976 (RUZ + 4 letters)" >&2; usage; }
bin=$build/tools/cablesim
[ -x "$bin" ] || { echo "bench_host_stations: no $bin (build the cablesim target first)" >&2; exit 2; }
[ -r /proc/net/tcp ] || { echo "bench_host_stations: needs /proc/net/tcp (Linux)" >&2; exit 2; }

# One socket per station in the host, one per station and trunk in a router.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((n + 256)) ]; then
    echo "bench_host_stations: the hard limit of open files ($hard) is too low for $n stations" >&2
    exit 2
fi
ulimit -n "$hard"

work=$(mktemp -d "${TMPDIR:-/tmp}/cablesim-stations.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# write_net FILE STATIONS ROUTERS BASE_PORT
write_net() {
    awk -v m="$2" -v r="$3" -v base="$4" -v per="$per_router" 'BEGIN {
        L = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        print "# bench_host_stations.sh: " m " stations on host big, " r " router(s)"
        print "routers:"
        for (k = 1; k <= r; k++) printf "  - {name: r%d, listen: \"127.0.0.1:%d\"}\n", k, base + k - 1
        if (r > 1) {
            print "trunks:"
            for (k = 2; k <= r; k++) printf "  - {a: r1, b: r%d}\n", k
        }
        print "stations:"
        for (i = 0; i < m; i++) {
            s = ""
            x = i
            for (j = 0; j < 4; j++) { s = substr(L, x % 26 + 1, 1) s; x = int(x / 26) }
            printf "  - {ri: RUZ%s, pla: BENCH STATION %s, router: r%d, host: big}\n", s, s, int(i / per) + 1
        }
    }' >"$1"
}

# status_kb PID FIELD: VmRSS, VmHWM, ... in kB
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# sockets HOST ROUTER...: "H_ESTABLISHED H_IDLE R_ESTABLISHED R_IDLE" - the
# TCP sockets of the host, and of the routers together, that are established,
# and how many of those have nothing queued either way (each station's HELLO
# has been read by its router and the answer by the station). Counts the
# host's socket descriptors first and reads /proc/net/tcp (one line per
# socket of the machine, costly at 20,000) only once there are enough.
sockets() {
    local h=$1 p dirs=()
    shift
    for p in "$h" "$@"; do dirs+=("/proc/$p/fd"); done
    find "${dirs[@]}" -lname 'socket:*' -printf '%h %l\n' 2>/dev/null |
        awk -v h="/proc/$h/fd" -v m="$m" '
            NR == FNR { gsub(/[^0-9]/, "", $2); own[$2] = $1 == h ? "h" : "r"; nh += $1 == h; next }
            nh < m { exit }
            FNR > 1 && $4 == "01" && ($10 in own) { e[own[$10]]++; if ($5 == "00000000:00000000") i[own[$10]]++ }
            END { print e["h"] + 0, i["h"] + 0, e["r"] + 0, i["r"] + 0 }' - /proc/net/tcp
}

# cpu_s PID: user + system CPU seconds of a running process
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }

# measure M: starts routers and host for M stations; sets rss hwm conn_s
# hcpu rrss.
measure() {
    m=$1
    local r=$(( (m + per_router - 1) / per_router )) try base k ok p host t0 e i re ri want
    local prev=0 deadline
    local rpids=()
    for try in 1 2 3 4 5; do
        base=$(( 20000 + RANDOM % 12000 ))
        write_net "$work/net.yaml" "$m" "$r" "$base"
        if [ "$try" = 1 ] && ! "$bin" net --check "$work/net.yaml" >"$work/check" 2>&1; then
            echo "bench_host_stations: the generated network does not check:" >&2
            head -n 20 "$work/check" >&2
            exit 1
        fi
        rm -rf "$work"/j* "$work"/r*.out "$work"/r*.err
        rpids=()
        ok=1
        for k in $(seq "$r"); do
            "$bin" router --network "$work/net.yaml" --name "r$k" --journal "$work/j$k" \
                >"$work/r$k.out" 2>"$work/r$k.err" &
            p=$!
            pids+=("$p"); rpids+=("$p")
            deadline=$(( $(date +%s) + 60 ))
            until grep -q '^listening on' "$work/r$k.out" 2>/dev/null; do
                if ! kill -0 "$p" 2>/dev/null; then ok=0; break; fi
                if [ "$(date +%s)" -ge "$deadline" ]; then
                    echo "bench_host_stations: router r$k did not listen within 60 s" >&2
                    exit 1
                fi
                sleep 0.05
            done
            [ "$ok" = 1 ] || break
        done
        [ "$ok" = 1 ] && break
        for p in "${rpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
        pids=()
        if ! grep -q 'cannot listen' "$work"/r*.err || [ "$try" = 5 ]; then
            echo "bench_host_stations: a router did not start:" >&2
            cat "$work"/r*.err >&2
            exit 1
        fi
    done
    t0=$(date +%s%N)
    "$bin" node --network "$work/net.yaml" --host big --speed 1 >"$work/host.out" 2>"$work/host.err" &
    host=$!
    pids+=("$host")
    # The routers hold one socket per station and one per trunk end.
    want=$((m + 2 * (r - 1)))
    deadline=$(( $(date +%s) + 300 ))
    while :; do
        kill -0 "$host" 2>/dev/null || { echo "bench_host_stations: the host exited:" >&2; cat "$work/host.err" >&2; exit 1; }
        read -r e i re ri < <(sockets "$host" "${rpids[@]}")
        if [ "$e" = "$m" ] && [ "$i" = "$m" ] && [ "$re" = "$want" ] && [ "$ri" = "$want" ]; then
            [ "$prev" = 1 ] && break
            prev=1
        else
            prev=0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "bench_host_stations: after 300 s the host has $e of $m station connections" \
                 "established ($i idle), the routers $re of $want ($ri idle)" >&2
            tail -n 5 "$work"/r*.err "$work/host.err" >&2
            exit 1
        fi
        sleep 0.25
    done
    conn_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    rss=$(status_kb "$host" VmRSS)
    hwm=$(status_kb "$host" VmHWM)
    hcpu=$(cpu_s "$host")
    rrss=0
    for p in "${rpids[@]}"; do rrss=$(( rrss + $(status_kb "$p" VmRSS) )); done
    kill -TERM "$host"
    wait "$host" || echo "bench_host_stations: the host exited $? after SIGTERM" >&2
    for p in "${rpids[@]}"; do kill -TERM "$p"; done
    for p in "${rpids[@]}"; do wait "$p" || echo "bench_host_stations: a router exited $? after SIGTERM" >&2; done
    pids=()
}

: >"$work/results"
for run in $(seq "$runs"); do
    echo "bench_host_stations: run $run of $runs ($small, then $n stations)" >&2
    measure "$small"
    base_rss=$rss
    measure "$n"
    bps=$(( (rss - base_rss) * 1024 / (n - small) ))
    echo "bench=host_stations stations=$n rss_kb=$rss hwm_kb=$hwm baseline_rss_kb=$base_rss" \
         "bytes_per_station=$bps connect_s=$conn_s host_cpu_s=$hcpu router_rss_kb=$rrss" | tee -a "$work/results"
done

# The median, min and max of each numeric key over the runs.
awk -v runs="$runs" -v n="$n" '
    { for (k = 2; k <= NF; k++) { split($k, kv, "="); if (kv[1] != "stations") { v[kv[1], NR] = kv[2]; key[k] = kv[1] } } nk = NF }
    END {
        line = "bench=host_stations stations=" n " runs=" runs
        for (k = 2; k <= nk; k++) {
            if (!(k in key)) continue
            name = key[k]; c = 0
            for (r = 1; r <= NR; r++) a[++c] = v[name, r] + 0
            for (x = 2; x <= c; x++) for (y = x; y > 1 && a[y - 1] > a[y]; y--) { t = a[y]; a[y] = a[y - 1]; a[y - 1] = t }
            m = c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
            f = name ~ /_s$/ ? "%.2f" : "%.0f"
            line = line sprintf(" %s_median=" f " %s_min=" f " %s_max=" f, name, m, name, a[1], name, a[c])
        }
        print line
    }' "$work/results"
