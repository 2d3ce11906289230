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
# Needs: wrk, nginx, taskset, curl (installed by scripts/lib/serve-vs-nginx.sh if missing); builds
# target/release/corio (or set CORIO=/path/to/corio).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
files=${3:-2500}
nginx_http='types { text/plain txt; }
    gzip on;
    gzip_comp_level 1;
    gzip_min_length 1024;
    gzip_types text/plain;
    gzip_vary on;'
. scripts/lib/serve-vs-nginx.sh
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
      wait_ready "$port" /one.txt
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
      reqs=$(wrk_requests "$out")
      rps=$(wrk_rate "$out")
      bad=$(echo "$out" | grep -oP 'Non-2xx or 3xx responses: \K[0-9]+' || echo 0)
      [ "$bad" = 0 ] || { echo "$server: $bad error responses" >&2; exit 1; }
      us=$(awk -v t=$((after - before)) -v r="$reqs" -v hz="$tck" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
      printf '%-6s %-5s %10s %12s %10s\n' $server $load "$rps" "$us" "$size"
    done
  done
done
