#!/usr/bin/env bash
# Client CPU per request: `corio get` (keep-alive, concurrency CONC) versus wrk (one thread,
# CONC connections), both against the same nginx on 127.0.0.1, nginx pinned to CPU 0 and the
# client to CPU 1. The two take turns in each of ROUNDS rounds (so both see the same
# background load); prints each round and the median of the per-round ratios.
#
# Usage: scripts/bench-client.sh [--tls] [REQUESTS] [CONCURRENCY] [ROUNDS]
# --tls: HTTPS (nginx with a self-signed certificate that corio trusts with --cacert).
# Needs nginx, wrk, taskset, GNU time, curl and python3 (and openssl with --tls); builds
# target/release/corio if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
TLS=0
[ "${1:-}" = --tls ] && { TLS=1; shift; }
. scripts/lib/nginx-hello.sh
REQUESTS=${1:-20000}
CONC=${2:-100}
ROUNDS=${3:-3}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/corio"
[ -x "$BIN" ] || cargo build --release -p corio-cli
start_nginx

ratios=()
echo "$SCHEME against nginx (one worker), concurrency $CONC"
for round in $(seq "$ROUNDS"); do
    # corio get: REQUESTS keep-alive GETs, CONC at a time, bodies read and discarded.
    /usr/bin/time -f "%U %S" -o "$DIR/corio.time" \
        taskset -c 1 "$BIN" get "${CORIO_TLS[@]}" --discard --repeat "$REQUESTS" -c "$CONC" "$URL" \
        2> "$DIR/corio.err" || { echo "corio get failed:"; tail -5 "$DIR/corio.err"; exit 1; }
    read -r CU CS < "$DIR/corio.time"
    CORIO_US=$(python3 -c "print(f'{($CU+$CS)/$REQUESTS*1e6:.2f}')")

    # wrk: 5 s, one thread, CONC connections; its request count comes from its report.
    /usr/bin/time -f "%U %S" -o "$DIR/wrk.time" \
        taskset -c 1 wrk -c "$CONC" -t1 -d5s "$URL" > "$DIR/wrk.out"
    read -r WU WS < "$DIR/wrk.time"
    WRK_REQ=$(awk '/requests in/ {print $1}' "$DIR/wrk.out")
    WRK_US=$(python3 -c "print(f'{($WU+$WS)/$WRK_REQ*1e6:.2f}')")

    ratio=$(python3 -c "print(f'{$CORIO_US/$WRK_US:.3f}')")
    ratios+=("$ratio")
    echo "round $round: corio get $REQUESTS requests, $CU+$CS s -> $CORIO_US us/request;" \
        "wrk $WRK_REQ requests, $WU+$WS s -> $WRK_US us/request; ratio $ratio"
done
python3 -c "import statistics, sys; print(f'median ratio corio/wrk: {statistics.median(map(float, sys.argv[1:])):.2f}x')" "${ratios[@]}"
