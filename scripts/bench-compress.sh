#!/usr/bin/env bash
# On-the-fly gzip, side by side: CPU per compressed 64 KiB text response of `corio serve`
# against nginx's gzip filter at the same level (1, both servers' default), each pinned to
# CPU 0 (one worker, no access log), loaded by wrk pinned to CPU 1 with
# `Accept-Encoding: gzip`. Server CPU is user+sys from /proc over the run.
#
# Two workloads:
#   miss: wrk cycles through FILES distinct 64 KiB files whose gzip forms overflow corio's
#         32 MiB cache, so every corio response is compressed anew (as every nginx one is):
#         the compressor against zlib.
#   hit:  one 64 KiB file, requested again and again: corio answers from its cache of small
#         files, nginx compresses each time.
#
#   scripts/bench-compress.sh [DURATION_SECONDS] [ROUNDS] [FILES]
#
# Needs: wrk, nginx, taskset, curl (apt-get install -y nginx wrk if missing); builds
# target/release/corio (or set CORIO=/path/to/corio).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
files=${3:-2500}
command -v nginx >/dev/null && command -v wrk >/dev/null || {
  apt-get update && apt-get install -y nginx wrk
}
corio=${CORIO:-target/release/corio}  # CORIO=path: bench that binary, no build
[ -n "${CORIO:-}" ] || cargo build --release -q -p corio-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; pkill -P $$ 2>/dev/null || true' EXIT
# mktemp -d is 0700: nginx's worker (user nobody) could not read the files.
chmod 755 "$tmp"
mkdir -p "$tmp/www" "$tmp/nginx"
# Realistic text: the project's own sources, cut into 64 KiB files, each one different (a
# number on every line), so neither server can reuse work across files.
find crates -name '*.rs' -print0 | sort -z | xargs -0 cat > "$tmp/corpus.txt"
python3 - "$tmp" "$files" <<'PY'
import sys
tmp, n = sys.argv[1], int(sys.argv[2])
corpus = open(f"{tmp}/corpus.txt", "rb").read().splitlines(keepends=True)
size = 64 * 1024
pos = 0
for i in range(n + 1):
    out = bytearray()
    while len(out) < size:
        out += b"%d " % i + corpus[pos % len(corpus)]
        pos += 1
    name = "one.txt" if i == n else f"f{i}.txt"
    open(f"{tmp}/www/{name}", "wb").write(out[:size])
PY
cat > "$tmp/cycle.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/f" .. (counter % $files) .. ".txt")
end
LUA
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
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 65536; multi_accept on; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 100000000;
    types { text/plain txt; }
    gzip on;
    gzip_comp_level 1;
    gzip_min_length 1024;
    gzip_types text/plain;
    gzip_vary on;
    client_body_temp_path $tmp/nginx/body;
    server { listen 127.0.0.1:$2 reuseport backlog=4096; root $tmp/www; }
}
CONF
      taskset -c 0 nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" >/dev/null 2>&1 &
      pid=$! ;;
  esac
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# gzip size of one file as each server sends it, and a check that it is gzip of the file.
check() { # port
  local got
  got=$(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$1/f0.txt" | gzip -dc | cmp - "$tmp/www/f0.txt" && echo ok)
  [ "$got" = ok ] || { echo "server on $1 did not serve f0.txt gzipped" >&2; exit 1; }
  curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$1/f0.txt" | wc -c
}

printf '%-6s %-5s %10s %12s %10s\n' server load 'req/s' 'cpu us/req' 'gzip bytes'
for round in $(seq "$rounds"); do
  for load in miss hit; do
    for server in corio nginx; do
      port=$(free_port)
      start_server $server "$port"
      for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/one.txt" && break; sleep 0.1; done
      size=$(check "$port")
      if [ $load = miss ]; then
        args=(-s "$tmp/cycle.lua" "http://127.0.0.1:$port/")
      else
        args=("http://127.0.0.1:$port/one.txt")
      fi
      before=$(cpu_ticks "$pid")
      out=$(taskset -c 1 wrk -t1 -c16 -d"${duration}s" -H 'Accept-Encoding: gzip' "${args[@]}")
      after=$(cpu_ticks "$pid")
      kill "$pid"; wait "$pid" 2>/dev/null || true
      reqs=$(echo "$out" | grep -oP '^\s+\K[0-9]+(?= requests in)')
      rps=$(echo "$out" | grep -oP 'Requests/sec:\s+\K[0-9.]+')
      bad=$(echo "$out" | grep -oP 'Non-2xx or 3xx responses: \K[0-9]+' || echo 0)
      [ "$bad" = 0 ] || { echo "$server: $bad error responses" >&2; exit 1; }
      us=$(awk -v t=$((after - before)) -v r="$reqs" -v hz="$tck" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
      printf '%-6s %-5s %10s %12s %10s\n' $server $load "$rps" "$us" "$size"
    done
  done
done
