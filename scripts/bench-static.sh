#!/usr/bin/env bash
# Static files, side by side: `corio serve` against nginx (one worker, sendfile on), each
# pinned to CPU 0 and loaded by wrk pinned to CPU 1. Reports, per server and file, requests/s,
# throughput and server CPU µs per request (user+sys from /proc over the run).
#
#   scripts/bench-static.sh [DURATION_SECONDS] [ROUNDS]
#
# Needs: wrk, nginx, taskset; builds target/release/corio (or set CORIO=/path/to/corio).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
rounds=${2:-3}
corio=${CORIO:-target/release/corio}  # CORIO=path: bench that binary, no build
[ -n "${CORIO:-}" ] || cargo build --release -q -p corio-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; pkill -P $$ 2>/dev/null || true' EXIT
# mktemp -d is 0700: nginx's worker (user nobody) could not read the files and would be
# measured serving 403s.
chmod 755 "$tmp"
mkdir -p "$tmp/www" "$tmp/nginx"
head -c 4096 /dev/urandom > "$tmp/www/4k.bin"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$tmp/www/64m.bin"
tck=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() { # name port; sets $pid
  case $1 in
    corio)
      taskset -c 0 "$corio" serve "$tmp/www" --addr "127.0.0.1:$2" --workers 1 --quiet >/dev/null 2>&1 &
      pid=$! ;;
    nginx)
      cat > "$tmp/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 65536; multi_accept on; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    client_body_temp_path $tmp/nginx/body;
    server { listen 127.0.0.1:$2 reuseport backlog=4096; root $tmp/www; }
}
CONF
      taskset -c 0 nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" >/dev/null 2>&1 &
      pid=$! ;;
  esac
}

cpu_ticks() { # pid (and its children: nginx forks a worker)
  local total=0
  for p in $1 $(pgrep -P "$1" || true); do
    read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat")
    total=$((total + u + s))
  done
  echo $total
}

printf '%-6s %-7s %12s %12s %12s\n' server file 'req/s' 'MiB/s' 'cpu us/req'
for round in $(seq "$rounds"); do
  for file in 4k.bin 64m.bin; do
    for server in corio nginx; do
      port=$(free_port)
      start_server $server "$port"
      for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/$file" && break; sleep 0.1; done
      got=$(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/$file" || echo failed)
      if [ "$got" != "$(stat -c %s "$tmp/www/$file")" ]; then
        echo "$server did not serve $file (got: $got)" >&2
        exit 1
      fi
      conns=64; [ "$file" = 64m.bin ] && conns=4
      before=$(cpu_ticks "$pid")
      out=$(taskset -c 1 wrk -t1 -c$conns -d"${duration}s" "http://127.0.0.1:$port/$file")
      after=$(cpu_ticks "$pid")
      kill "$pid"; wait "$pid" 2>/dev/null || true
      reqs=$(echo "$out" | grep -oP '^\s+\K[0-9]+(?= requests in)')
      rps=$(echo "$out" | grep -oP 'Requests/sec:\s+\K[0-9.]+')
      tput=$(echo "$out" | grep -oP 'Transfer/sec:\s+\K[0-9.]+[KMG]?B')
      python3 - "$server" "$file" "$rps" "$tput" "$reqs" "$before" "$after" "$tck" <<'PY'
import sys
server, file, rps, tput, reqs, before, after, tck = sys.argv[1:]
unit = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}
for suffix in ("GB", "MB", "KB", "B"):
    if tput.endswith(suffix):
        mib = float(tput[: -len(suffix)]) * unit[suffix]
        break
cpu = (int(after) - int(before)) / int(tck) * 1e6 / max(int(reqs), 1)
print(f"{server:<6} {file:<7} {float(rps):>12,.0f} {mib:>12,.1f} {cpu:>12.2f}")
PY
    done
  done
done
