#!/usr/bin/env bash
# corio against tokio current_thread on the runtime workloads of crates/corio/benches
# (spawn_join, ping_pong, timers, tcp_echo), side by side, as CPU figures rather than wall
# time:
#
# - Ir/op: instructions per operation under callgrind, from the difference between a run of
#   1 and a run of 1 + ITERS iterations (setup and first-iteration growth cancel out);
# - CPU ns/op: the thread's CPU time per operation natively over CPU_ITERS iterations after a
#   first one, median of ROUNDS runs; the two runtimes take turns within each round, and the
#   CPU ratio is the median of the per-round ratios (as http-bench's), so that a drift of the
#   machine's speed between rounds does not land on one side only.
#
#   scripts/bench-runtime.sh [ROUNDS] [WORKLOAD...]
#
# Needs valgrind. Builds the runtime_ops bench in the bench profile (set BIN=/path/to/it to
# skip the build; CARGO_PROFILE_RELEASE_LTO etc. apply as usual).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(spawn_join ping_pong timers tcp_echo)
iters=${ITERS:-2}          # callgrind: iterations measured after the first
cpu_iters=${CPU_ITERS:-30} # native: iterations timed after the first
if [ -z "${BIN:-}" ]; then
  BIN=$(cargo bench -q -p corio --bench runtime_ops --no-run --message-format=json \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "runtime_ops" and m.get("executable"):
        print(m["executable"])')
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

instructions() { # workload runtime iterations -> total Ir of the run
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$BIN" "$1" "$2" "$3" >/dev/null 2>"$tmp/err" \
    || { cat "$tmp/err" >&2; exit 1; }
  sed -n 's/^summary: //p' "$tmp/out"
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

printf '%-11s %12s %12s %7s   %13s %13s %7s\n' workload "corio Ir/op" "tokio Ir/op" ratio \
  "corio CPU ns" "tokio CPU ns" ratio
for w in "${workloads[@]}"; do
  declare -A ir
  for rt in corio tokio; do
    base=$(instructions "$w" "$rt" 1)
    more=$(instructions "$w" "$rt" $((1 + iters)))
    ops=$("$BIN" "$w" "$rt" 1 | awk '{print $3}')
    ir[$rt]=$(awk -v a="$base" -v b="$more" -v n="$iters" -v o="$ops" 'BEGIN {printf "%.0f", (b - a) / n / o}')
  done
  : > "$tmp/cpu"
  for _ in $(seq "$rounds"); do
    c=$("$BIN" "$w" corio $((1 + cpu_iters)) | awk '{print $4}')
    t=$("$BIN" "$w" tokio $((1 + cpu_iters)) | awk '{print $4}')
    echo "$c $t" >> "$tmp/cpu"
  done
  printf '%-11s %12s %12s %7.2f   %13s %13s %7.2f\n' "$w" "${ir[corio]}" "${ir[tokio]}" \
    "$(awk -v a="${ir[corio]}" -v b="${ir[tokio]}" 'BEGIN {print a / b}')" \
    "$(awk '{print $1}' "$tmp/cpu" | median)" "$(awk '{print $2}' "$tmp/cpu" | median)" \
    "$(awk '{print $1 / $2}' "$tmp/cpu" | median)"
  unset ir
done
