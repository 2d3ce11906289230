#!/usr/bin/env bash
# Load generators side by side: `corio bench --workers 1` versus `wrk -t1`, both loading the
# same nginx (one worker pinned to CPU 0; the generator pinned to CPU 1), at 64 and 1,024
# connections, without and with pipelining x16. For each: requests/s, and the generator's
# CPU (user+sys, from GNU time) per request. Each cell is the median of ROUNDS runs, and the
# last columns are corio's figures over wrk's, the median of the per-round ratios (the tools
# take turns within a round, so both see the same background load).
#
# Usage: scripts/bench-loadgen.sh [--tls] [SECONDS] [ROUNDS]
# --tls: HTTPS, nginx with a self-signed EC P-256 certificate (TLS 1.2 and 1.3, its session
# cache), which corio trusts with --cacert; wrk and corio both negotiate TLS 1.3.
# Needs nginx, wrk, taskset, GNU time and python3 (and openssl with --tls); builds
# target/release/corio if missing. wrk pipelines with ../shared/bench/pipeline.lua (or
# $PIPELINE_LUA).
set -euo pipefail
cd "$(dirname "$0")/.."
TLS=0
[ "${1:-}" = --tls ] && { TLS=1; shift; }
. scripts/lib/nginx-hello.sh
SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-3}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="${CORIO:-$TARGET/release/corio}"
LUA=${PIPELINE_LUA:-../shared/bench/pipeline.lua}
[ -f "$LUA" ] || LUA=/work/shared/bench/pipeline.lua
[ -x "$BIN" ] || cargo build --release -p corio-cli

start_nginx

# One run; prints "REQUESTS USER SYS".
run_wrk() { # conns depth
    local extra=()
    [ "$2" -gt 1 ] && extra=(-s "$LUA" "$URL" -- "$2")
    /usr/bin/time -f "%U %S" -o "$DIR/time" \
        taskset -c 1 wrk -t1 -c "$1" -d "${SECONDS_PER_RUN}s" "$URL" "${extra[@]}" > "$DIR/out"
    # wrk counts one "request" per pipelined batch in its script mode but every response in
    # "N requests in": that line is the response count.
    echo "$(awk '/requests in/ {print $1}' "$DIR/out") $(cat "$DIR/time")"
}
run_corio() { # conns depth
    /usr/bin/time -f "%U %S" -o "$DIR/time" \
        taskset -c 1 "$BIN" bench "$URL" "${CORIO_TLS[@]}" --workers 1 -c "$1" --pipeline "$2" \
        -d "${SECONDS_PER_RUN}s" --json > "$DIR/out"
    echo "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["responses"])' "$DIR/out") $(cat "$DIR/time")"
}

summary() { # conns depth seconds "wrk runs" "corio runs" (one "N USER SYS" per line)
    python3 - "$@" <<'PY'
import statistics, sys
conns, depth, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
wrk = [tuple(map(float, r.split())) for r in sys.argv[4].splitlines()]
corio = [tuple(map(float, r.split())) for r in sys.argv[5].splitlines()]
rps = lambda n, u, s: n / secs
cpu = lambda n, u, s: (u + s) / n * 1e6
# A run with no response (wrk gives up on connections whose handshake outlasts its 2 s
# timeout when the machine is loaded) has no CPU per request: rounds with one are left out.
pairs = [(w, c) for w, c in zip(wrk, corio) if w[0] > 0 and c[0] > 0]
med = lambda xs: f"{statistics.median(xs):.2f}" if xs else "n/a"
rps_ratio = med([rps(*c) / rps(*w) for w, c in pairs])
cpu_ratio = med([cpu(*c) / cpu(*w) for w, c in pairs])
for name, runs in (("wrk -t1", wrk), ("corio bench --workers 1", corio)):
    runs = [x for x in runs if x[0] > 0]
    r = statistics.median(rps(*x) for x in runs) if runs else 0
    c = med([cpu(*x) for x in runs])
    ratios = f" {rps_ratio} | {cpu_ratio} |" if name.startswith("corio") else " | |"
    print(f"| {name} | {conns} | {depth} | {r:,.0f} | {c} |{ratios}")
PY
}

# The tools take turns within each round, so that both see the same background load.
echo "$SCHEME against nginx (one worker), $SECONDS_PER_RUN s per run, $ROUNDS rounds"
printf '| generator | conns | pipeline | req/s | CPU µs/req | req/s ratio | CPU ratio |\n'
printf '|---|---|---|---|---|---|---|\n'
for conns in 64 1024; do
    for depth in 1 16; do
        wrk_runs=""
        corio_runs=""
        for _ in $(seq "$ROUNDS"); do
            wrk_runs+="$(run_wrk "$conns" "$depth")"$'\n'
            corio_runs+="$(run_corio "$conns" "$depth")"$'\n'
        done
        summary "$conns" "$depth" "$SECONDS_PER_RUN" "${wrk_runs%$'\n'}" "${corio_runs%$'\n'}"
    done
done
