#!/usr/bin/env bash
# Soak: SOAK_SECS (default 600) of mixed load against `corio serve` (release build), then a
# verdict: zero unexpected errors, and resident memory at the end within 10% of its value
# after the first minute. Not run in CI: run it by hand, e.g. `nice -n 10 scripts/soak.sh`.
#
# The load comes from `corio bench` (one worker each), five instances at once:
#   keepalive  GET of a small file on 16 keep-alive connections
#   pipelined  16 pipelined GETs per write on 8 connections
#   newconns   `Connection: close`: a new connection per request
#   large      GET of a 4 MiB file (sendfile) on 4 connections
#   ranges     single-range GETs (206)
#   bodies     POSTs with a 64 KiB body (the static server answers 405 and drains the body)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SOAK_SECS:-600}
PORT=${SOAK_PORT:-18480}
cargo build --release -p corio-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corio

WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir "$WORK/site"
head -c 2048 /dev/urandom | base64 > "$WORK/site/small.txt"
head -c $((4 << 20)) /dev/urandom > "$WORK/site/large.bin"
head -c $((64 << 10)) /dev/urandom > "$WORK/body.bin"
ulimit -n 65536 2>/dev/null || true

"$BIN" serve "$WORK/site" --addr "127.0.0.1:$PORT" --quiet --workers 2 2> "$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do
  grep -q serving "$WORK/server.log" 2>/dev/null && break
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER/status"; }

run() { # name, corio bench args...
  local name=$1; shift
  "$BIN" bench --workers 1 -d "${SECS}s" --timeout 10s --json "$@" > "$WORK/$name.json" 2> "$WORK/$name.err" &
}
run keepalive -c 16 "$URL/small.txt"
run pipelined -c 8 --pipeline 16 "$URL/small.txt"
run newconns -c 8 -H "Connection: close" "$URL/small.txt"
run large -c 4 "$URL/large.bin"
run ranges -c 4 -H "Range: bytes=100-1099" "$URL/small.txt"
run bodies -c 4 -X POST --body "$WORK/body.bin" "$URL/small.txt"

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
for name in keepalive pipelined newconns large ranges bodies; do
  # Expected statuses: 200 (GET), 206 (ranges), 405 (POST to a static file); anything else,
  # and every transport error (connect, read, write, timeout, invalid response), is an error.
  read -r reqs errs unexpected < <(python3 - "$WORK/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
expected = {"200", "206", "405"}
unexpected = sum(n for status, n in r["statuses"].items() if status not in expected)
print(r["responses"], r["errors_total"], unexpected)
PY
)
  printf 'soak: %-10s %10s responses, %s transport errors, %s unexpected statuses\n' "$name" "$reqs" "$errs" "$unexpected"
  TOTAL=$((TOTAL + reqs))
  ERRORS=$((ERRORS + errs + unexpected))
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
