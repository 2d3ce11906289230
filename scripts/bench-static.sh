#!/usr/bin/env bash
# Static files, side by side: `corio serve` against nginx (one worker, sendfile on), each
# pinned to CPU 0 and loaded by wrk pinned to CPU 1. Reports, per server and file, requests/s,
# throughput and server CPU µs per request (user+sys from /proc over the run).
#
#   scripts/bench-static.sh [--tls] [DURATION_SECONDS] [ROUNDS]
#
# --tls: both over HTTPS (one self-signed certificate). sendfile cannot cross userspace TLS, so
# this measures corio's buffered streaming of large files against nginx's (OpenSSL, no kTLS).
#
# Needs: wrk, nginx, taskset, curl (installed by scripts/lib/serve-vs-nginx.sh if missing);
# builds target/release/corio (or set CORIO=/path/to/corio).
set -euo pipefail
cd "$(dirname "$0")/.."
tls=0
[ "${1:-}" = --tls ] && { tls=1; shift; }
duration=${1:-5}
rounds=${2:-3}
nginx_http='tcp_nopush on;'
. scripts/lib/serve-vs-nginx.sh
head -c 4096 /dev/urandom > "$tmp/www/4k.bin"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$tmp/www/64m.bin"

printf '%-6s %-7s %12s %12s %12s\n' server file 'req/s' 'MiB/s' 'cpu us/req'
for round in $(seq "$rounds"); do
  for file in 4k.bin 64m.bin; do
    for server in corio nginx; do
      port=$(free_port)
      start_server $server "$port"
      wait_ready "$port" "/$file"
      got=$(curl -sfk -o /dev/null -w '%{size_download}' "$scheme://127.0.0.1:$port/$file" || echo failed)
      if [ "$got" != "$(stat -c %s "$tmp/www/$file")" ]; then
        echo "$server did not serve $file (got: $got)" >&2
        exit 1
      fi
      conns=64; [ "$file" = 64m.bin ] && conns=4
      before=$(cpu_ticks "$pid")
      out=$(taskset -c 1 wrk -t1 -c$conns -d"${duration}s" "$scheme://127.0.0.1:$port/$file")
      after=$(cpu_ticks "$pid")
      kill "$pid"; wait "$pid" 2>/dev/null || true
      reqs=$(wrk_requests "$out")
      rps=$(wrk_rate "$out")
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
