#!/usr/bin/env bash
# Resident memory with many idle TLS connections, side by side: corio (the plaintext example
# over TLS, one worker) against nginx (one worker, OpenSSL, the TLS settings of
# ../shared/bench/peers/nginx-tls.conf.in). Each server is pinned to CPU 0. A Python client
# opens CONNS TLS connections (TLS 1.3, an EC P-256 certificate as http-bench makes), sends one
# request on each, reads the whole response and keeps every connection open; then the
# server's RSS is read from /proc (VmRSS of its process group: nginx's master and worker, as
# http-bench counts it). Printed per round: RSS before the connections, with them idle, and
# the difference per connection.
#
#   scripts/bench-tls-idle.sh [CONNS] [ROUNDS]
#
# Needs: nginx, openssl, python3, taskset; builds target/release/examples/plaintext (or set
# PLAINTEXT=/path/to/plaintext to measure that binary without a build).
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-1024}
rounds=${2:-3}
plaintext=${PLAINTEXT:-target/release/examples/plaintext}
[ -n "${PLAINTEXT:-}" ] || cargo build --release -q -p corio-http --example plaintext
# Each connection is a descriptor in the server and in the client.
ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d)
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 7 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# setsid: each server is a process group of its own (nginx's master and worker), summed below.
start_server() { # name port; sets $server_pid
  case $1 in
    corio)
      taskset -c 0 setsid "$plaintext" --port "$2" --workers 1 \
        --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" >/dev/null 2>&1 &
      server_pid=$! ;;
    nginx)
      cat > "$tmp/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 65536; multi_accept on; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    client_body_temp_path $tmp/nginx/body;
    ssl_certificate $tmp/cert.pem;
    ssl_certificate_key $tmp/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    server {
        listen 127.0.0.1:$2 ssl reuseport backlog=4096;
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
      taskset -c 0 setsid nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" >/dev/null 2>&1 &
      server_pid=$! ;;
  esac
}

group_rss_kib() { # pid: VmRSS summed over its process group
  local pgid total=0 rss
  pgid=$(ps -o pgid= -p "$1" | tr -d ' ')
  for p in $(pgrep -g "$pgid"); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${rss:-0}))
  done
  echo "$total"
}

# Opens $conns TLS connections, one request on each, then reports and waits for stdin to close.
cat > "$tmp/client.py" <<'PY'
import socket, ssl, sys
port, conns = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
request = b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n"
held = []
for _ in range(conns):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.sendall(request)
    data = b""
    while not data.endswith(b"Hello, World!"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("closed before the response")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        sys.exit(f"unexpected answer: {data[:40]!r}")
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
PY

printf '%-6s %5s %14s %14s %14s\n' server round 'RSS idle MiB' "RSS +$conns MiB" 'KiB per conn'
for round in $(seq "$rounds"); do
  for server in corio nginx; do
    port=$(free_port)
    start_server $server "$port"
    for _ in $(seq 100); do
      curl -skf -o /dev/null "https://127.0.0.1:$port/plaintext" && break
      sleep 0.1
    done
    before=$(group_rss_kib "$server_pid")
    coproc CLIENT { python3 "$tmp/client.py" "$port" "$conns"; }
    read -r line <&"${CLIENT[0]}"
    [ "$line" = ready ] || { echo "$server: the client failed" >&2; exit 1; }
    after=$(group_rss_kib "$server_pid")
    exec {CLIENT[1]}>&-
    wait "$CLIENT_PID" 2>/dev/null || true
    stop_server
    awk -v s=$server -v r="$round" -v b="$before" -v a="$after" -v n="$conns" \
      'BEGIN { printf "%-6s %5d %14.1f %14.1f %14.1f\n", s, r, b/1024, a/1024, (a-b)/n }'
  done
done
