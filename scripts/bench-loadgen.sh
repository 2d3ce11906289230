#!/usr/bin/env bash
# Load generators side by side: `corio bench --workers 1` versus `wrk -t1`, both loading the
# same nginx (one worker pinned to CPU 0; the generator pinned to CPU 1), at 64 and 1,024
# connections, without and with pipelining x16. For each: requests/s, and the generator's
# CPU (user+sys, from GNU time) per request. Each cell is the median of ROUNDS runs.
#
# Usage: scripts/bench-loadgen.sh [SECONDS] [ROUNDS]
# Needs nginx, wrk, taskset, GNU time and python3; builds target/release/corio if missing.
# wrk pipelines with ../shared/bench/pipeline.lua (or $PIPELINE_LUA).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-3}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/corio"
LUA=${PIPELINE_LUA:-../shared/bench/pipeline.lua}
[ -f "$LUA" ] || LUA=/work/shared/bench/pipeline.lua
[ -x "$BIN" ] || cargo build --release -p corio-cli

DIR=$(mktemp -d)
trap 'kill "$NGINX_PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$DIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log /dev/null;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$PORT;
        location / { return 200 "Hello, World!"; }
    }
}
CONF
ulimit -n 8192 2>/dev/null || true
taskset -c 0 nginx -c "$DIR/nginx.conf" -p "$DIR" &
NGINX_PID=$!
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
done
URL="http://127.0.0.1:$PORT/"

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
        taskset -c 1 "$BIN" bench "$URL" --workers 1 -c "$1" --pipeline "$2" \
        -d "${SECONDS_PER_RUN}s" --json > "$DIR/out"
    echo "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["responses"])' "$DIR/out") $(cat "$DIR/time")"
}

summary() { # tool conns depth results...
    python3 - "$@" <<'PY'
import statistics, sys
tool, conns, depth = sys.argv[1], sys.argv[2], sys.argv[3]
secs = float(sys.argv[4])
runs = [tuple(map(float, r.split())) for r in sys.argv[5:]]
rps = statistics.median(n / secs for n, _, _ in runs)
cpu = statistics.median((u + s) / n * 1e6 for n, u, s in runs)
name = "wrk -t1" if tool == "wrk" else "corio bench --workers 1"
print(f"| {name} | {conns} | {depth} | {rps:,.0f} | {cpu:.2f} |")
PY
}

# The tools take turns within each round, so that both see the same background load.
printf '| generator | conns | pipeline | req/s | CPU µs/req |\n|---|---|---|---|---|\n'
for conns in 64 1024; do
    for depth in 1 16; do
        wrk_runs=()
        corio_runs=()
        for _ in $(seq "$ROUNDS"); do
            wrk_runs+=("$(run_wrk "$conns" "$depth")")
            sleep 1
            corio_runs+=("$(run_corio "$conns" "$depth")")
            sleep 1
        done
        summary wrk "$conns" "$depth" "$SECONDS_PER_RUN" "${wrk_runs[@]}"
        summary corio "$conns" "$depth" "$SECONDS_PER_RUN" "${corio_runs[@]}"
    done
done
