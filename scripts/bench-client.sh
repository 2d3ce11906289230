#!/usr/bin/env bash
# Client CPU per request: `corio get` (keep-alive, concurrency 100) versus wrk, both against
# the same nginx on 127.0.0.1, nginx pinned to CPU 0 and the client to CPU 1.
#
# Usage: scripts/bench-client.sh [REQUESTS] [CONCURRENCY]
# Needs nginx, wrk, taskset and GNU time; builds target/release/corio if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-20000}
CONC=${2:-100}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/corio"
[ -x "$BIN" ] || cargo build --release -p corio-cli

DIR=$(mktemp -d)
trap 'kill "$NGINX_PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
mkdir -p "$DIR/www" "$DIR/logs"
chmod 755 "$DIR"  # nginx workers (often "nobody") must reach the files
printf 'hello from nginx\n' > "$DIR/www/index.html"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$DIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log $DIR/logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$PORT;
        root $DIR/www;
    }
}
CONF
taskset -c 0 nginx -c "$DIR/nginx.conf" -p "$DIR" &
NGINX_PID=$!
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
done
URL="http://127.0.0.1:$PORT/index.html"

# corio get: REQUESTS keep-alive GETs, CONC at a time, bodies read and discarded.
/usr/bin/time -f "%U %S" -o "$DIR/corio.time" \
    taskset -c 1 "$BIN" get --discard --repeat "$REQUESTS" -c "$CONC" "$URL" 2> "$DIR/corio.err" \
    || { echo "corio get failed:"; tail -5 "$DIR/corio.err"; exit 1; }
read -r CU CS < "$DIR/corio.time"
CORIO_US=$(python3 -c "print(f'{($CU+$CS)/$REQUESTS*1e6:.2f}')")

# wrk: 5 s, one thread, CONC connections; its request count comes from its report.
/usr/bin/time -f "%U %S" -o "$DIR/wrk.time" \
    taskset -c 1 wrk -c "$CONC" -t1 -d5s "$URL" > "$DIR/wrk.out"
read -r WU WS < "$DIR/wrk.time"
WRK_REQ=$(awk '/requests in/ {print $1}' "$DIR/wrk.out")
WRK_US=$(python3 -c "print(f'{($WU+$WS)/$WRK_REQ*1e6:.2f}')")

echo "corio get: $REQUESTS requests, user+sys $CU+$CS s -> $CORIO_US us/request ($(tail -1 "$DIR/corio.err"))"
echo "wrk:       $WRK_REQ requests, user+sys $WU+$WS s -> $WRK_US us/request"
python3 -c "print(f'ratio corio/wrk: {$CORIO_US/$WRK_US:.2f}x')"
