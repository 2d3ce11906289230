#!/usr/bin/env bash
# Soak: SOAK_SECS (default 600) of mixed load against `corio serve` (release build), then a
# verdict: zero unexpected errors, and resident memory at the end within 10% of its value
# after the first minute. Not run in CI: run it by hand, e.g. `nice -n 10 scripts/soak.sh`.
#
# The load comes from wrk (`corio bench` was not on main when this was written), five
# instances at once:
#   keepalive  GET of a small file on 16 keep-alive connections
#   pipelined  16 pipelined GETs per write (soak/pipeline.lua)
#   newconns   `Connection: close`: a new connection per request
#   large      GET of a 4 MiB file (sendfile)
#   bodies     requests with Content-Length and chunked bodies, and ranges (soak/bodies.lua)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SOAK_SECS:-600}
PORT=${SOAK_PORT:-18480}
command -v wrk >/dev/null || { echo "soak: wrk is required (apt-get install wrk)"; exit 2; }
cargo build --release -p corio-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corio

WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir "$WORK/site"
head -c 2048 /dev/urandom | base64 > "$WORK/site/small.txt"
head -c $((4 << 20)) /dev/urandom > "$WORK/site/large.bin"
ulimit -n 65536 2>/dev/null || true

"$BIN" serve "$WORK/site" --addr "127.0.0.1:$PORT" --quiet --workers 2 2> "$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do
  grep -q serving "$WORK/server.log" 2>/dev/null && break
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER/status"; }

run() { # name, wrk args...
  local name=$1; shift
  wrk -t1 -d"${SECS}s" --timeout 10s --latency "$@" > "$WORK/$name.out" 2>&1 &
}
run keepalive -c16 "$URL/small.txt"
run pipelined -c8 -s scripts/soak/pipeline.lua "$URL/small.txt"
run newconns -c8 -H "Connection: close" "$URL/small.txt"
run large -c4 "$URL/large.bin"
run bodies -c8 -s scripts/soak/bodies.lua "$URL/small.txt"

sleep 60
RSS_1MIN=$(rss)
echo "soak: RSS after 1 min: ${RSS_1MIN} KiB"
sleep $((SECS - 65))
RSS_END=$(rss)
echo "soak: RSS near the end of the load: ${RSS_END} KiB"
wait $(jobs -p | grep -v "^$SERVER$") 2>/dev/null || true
RSS_AFTER=$(rss)

ERRORS=0
TOTAL=0
for name in keepalive pipelined newconns large bodies; do
  out="$WORK/$name.out"
  reqs=$(awk '/requests in/ { print $1 }' "$out")
  sock=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
  sock=${sock:-0}; non2xx=${non2xx:-0}
  printf 'soak: %-10s %10s requests, %s socket errors, %s non-2xx/3xx\n' "$name" "$reqs" "$sock" "$non2xx"
  TOTAL=$((TOTAL + reqs))
  ERRORS=$((ERRORS + sock + non2xx))
done
kill -0 "$SERVER" || { echo "soak: FAIL: the server died"; exit 1; }
kill -TERM "$SERVER"
STATUS=0
wait "$SERVER" || STATUS=$?
echo "soak: $TOTAL requests, $ERRORS errors; RSS 1 min ${RSS_1MIN} KiB, end ${RSS_END} KiB, idle after ${RSS_AFTER} KiB; exit $STATUS"
if [ "$ERRORS" -ne 0 ] || [ "$STATUS" -ne 0 ]; then
  echo "soak: FAIL"; exit 1
fi
if [ $((RSS_END * 10)) -gt $((RSS_1MIN * 11)) ]; then
  echo "soak: FAIL: RSS grew more than 10%"; exit 1
fi
echo "soak: PASS"
