#!/usr/bin/env bash
# HTTP/2 load generators side by side: `corio bench --h2 --workers 1` versus `h2load -t1`,
# both loading the same hyper HTTP/2 server (h2c with prior knowledge, tokio current_thread,
# pinned to CPU 0; the generator pinned to CPU 1), with 64 connections × 1 and × 10 streams.
# For each: requests/s, and the generator's CPU (user+sys, from GNU time) per request. Each
# cell is the median of ROUNDS runs; the two tools take turns within each round, so that both
# see the same background load. The last rows are the ratios corio / h2load: of the medians,
# and the median of each round's ratio (as http-bench computes its ratios); each round's
# ratios go to stderr.
#
# Usage: scripts/bench-h2-loadgen.sh [SECONDS] [ROUNDS]
# Needs h2load (nghttp2-client), taskset, GNU time, python3, and the server built by
# ../shared/bench/http-bench (~/.cache/bench-peers-target/release/hyper-h2-hello, or
# $HYPER_H2); runs $CORIO, else target/release/corio (built if missing).
#
# With --nginx first, the server is one nginx worker (h2c, `listen ... http2`) instead, as
# issue 12's goal names it: scripts/bench-h2-loadgen.sh --nginx [SECONDS] [ROUNDS].
set -euo pipefail
cd "$(dirname "$0")/.."
USE_NGINX=0
if [ "${1:-}" = --nginx ]; then
    USE_NGINX=1
    shift
fi
SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-3}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${CORIO:-$TARGET/release/corio}
[ -x "$BIN" ] || cargo build --release -p corio-cli
if [ "$USE_NGINX" = 1 ]; then
    H2=1
    # shellcheck source=lib/nginx-hello.sh
    . scripts/lib/nginx-hello.sh
    start_nginx
    URL="${URL}plaintext"
else
    SERVER=${HYPER_H2:-$HOME/.cache/bench-peers-target/release/hyper-h2-hello}
    [ -x "$SERVER" ] || { echo "no $SERVER: run ../shared/bench/http-bench --h2 once to build it" >&2; exit 1; }
    DIR=$(mktemp -d)
    SERVER_PID=
    trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$DIR"' EXIT
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ulimit -n 8192 2>/dev/null || true
    taskset -c 0 "$SERVER" "$PORT" &
    SERVER_PID=$!
    for _ in $(seq 50); do
        (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
        sleep 0.1
    done
    URL="http://127.0.0.1:$PORT/plaintext"
fi

# One run; prints "REQUESTS USER SYS".
run_h2load() { # conns streams
    /usr/bin/time -f "%U %S" -o "$DIR/time" \
        taskset -c 1 h2load -t1 -c "$1" -m "$2" -D "$SECONDS_PER_RUN" \
        -H "Accept: text/plain" "$URL" > "$DIR/out"
    echo "$(awk '/^requests:/ {print $8}' "$DIR/out") $(cat "$DIR/time")"
}
run_corio() { # conns streams
    /usr/bin/time -f "%U %S" -o "$DIR/time" \
        taskset -c 1 "$BIN" bench "$URL" --h2 --workers 1 -c "$1" --max-concurrent-streams "$2" \
        -H "Accept: text/plain" -d "${SECONDS_PER_RUN}s" --json > "$DIR/out"
    echo "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["responses"])' "$DIR/out") $(cat "$DIR/time")"
}

# Prints the two rows of a cell and its ratio row.
summary() { # conns streams secs rounds h2load-runs... corio-runs...
    python3 - "$@" <<'PY'
import statistics, sys
conns, streams, secs, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
runs = [tuple(map(float, r.split())) for r in sys.argv[5:]]
cells = {}
for name, part in (("h2load -t1", runs[:rounds]), ("corio bench --h2 --workers 1", runs[rounds:])):
    rps = statistics.median(n / secs for n, _, _ in part)
    cpu = statistics.median((u + s) / n * 1e6 for n, u, s in part)
    cells[name] = (rps, cpu)
    print(f"| {name} | {conns} | {streams} | {rps:,.0f} | {cpu:.2f} |")
(hr, hc), (cr, cc) = cells.values()
print(f"| ratio corio / h2load | {conns} | {streams} | {cr / hr:.2f}× | {cc / hc:.2f}× |")
# As http-bench: the two took turns, so each round's ratio compares runs under the same
# drift of the machine's speed; the median of those is the steadier figure.
pairs = list(zip(runs[:rounds], runs[rounds:]))
rps_r = [c[0] / h[0] for h, c in pairs]
cpu_r = [((c[1] + c[2]) / c[0]) / ((h[1] + h[2]) / h[0]) for h, c in pairs]
print(f"| ratio per round, median | {conns} | {streams} | {statistics.median(rps_r):.2f}× | {statistics.median(cpu_r):.2f}× |")
print(f"<!-- rounds req/s {' '.join(f'{r:.2f}' for r in rps_r)}; cpu {' '.join(f'{r:.2f}' for r in cpu_r)} -->", file=sys.stderr)
PY
}

printf '| generator | conns | streams | req/s | CPU µs/req |\n|---|---|---|---|---|\n'
for streams in 1 10; do
    h2load_runs=()
    corio_runs=()
    for _ in $(seq "$ROUNDS"); do
        h2load_runs+=("$(run_h2load 64 "$streams")")
        sleep 1
        corio_runs+=("$(run_corio 64 "$streams")")
        sleep 1
    done
    summary 64 "$streams" "$SECONDS_PER_RUN" "$ROUNDS" "${h2load_runs[@]}" "${corio_runs[@]}"
done
