#!/usr/bin/env bash
# Crawler speed and CPU per page: `corio crawl` against `wget --recursive --spider` on a
# generated site of PAGES HTML pages (each ~1.5 KB, ten links down the tree, a stylesheet)
# served by `corio serve` on 127.0.0.1, the server pinned to CPU 0 and the crawler to CPU 1.
# corio runs twice: with its defaults (16 requests at once per host) and with one request at
# a time, as wget makes them (wget GETs pages and, in spider mode, HEADs the stylesheet).
# Prints pages/s, CPU per page, and corio's ratios to wget.
#
# Usage: scripts/bench-crawl.sh [PAGES]
# Needs wget (apt-get install -y wget), taskset, GNU time and python3; builds
# target/release/corio if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-10000}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/corio"
[ -x "$BIN" ] || cargo build --release -p corio-cli
command -v wget >/dev/null || { echo "bench-crawl: needs wget (apt-get install -y wget)" >&2; exit 1; }

DIR=$(mktemp -d)
SERVE_PID=
trap 'if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi; rm -rf "$DIR"' EXIT
python3 - "$DIR/www" "$PAGES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/p", exist_ok=True)
filler = "<p>" + "lorem ipsum dolor sit amet " * 40 + "</p>\n"
for i in range(n):
    kids = "".join(f'<li><a href="/p/{k}.html">page {k}</a></li>'
                   for k in range(10 * i + 1, 10 * i + 11) if k < n)
    with open(f"{root}/p/{i}.html", "w") as f:
        f.write(f'<!doctype html><html><head><title>page {i}</title>'
                f'<link rel="stylesheet" href="/style.css"></head><body>'
                f'<a href="/">home</a> <a href="/p/{max(i - 1, 0)}.html">previous</a>'
                f'<ul>{kids}</ul>{filler}</body></html>\n')
with open(f"{root}/index.html", "w") as f:
    f.write('<!doctype html><a href="/p/0.html">start</a>\n')
with open(f"{root}/style.css", "w") as f:
    f.write("body { font-family: sans-serif }\n")
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 0 "$BIN" serve "$DIR/www" --addr "127.0.0.1:$PORT" --workers 1 --quiet &
SERVE_PID=$!
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
done
URL="http://127.0.0.1:$PORT/"
URLS=$((PAGES + 2)) # the pages, / and /style.css

# run NAME COMMAND...: prints "NAME seconds cpu-seconds"
run() {
    local name=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$DIR/time" taskset -c 1 "$@" >/dev/null 2>"$DIR/$name.err" || true
    read -r wall user sys <"$DIR/time"
    echo "$name $wall $(echo "$user + $sys" | bc -l)"
}

WGET=$(run wget wget --recursive --level=inf --spider --no-verbose -e robots=off \
    --directory-prefix="$DIR/wget" "$URL")
COR=$(run corio "$BIN" crawl "$URL" --ignore-robots --output /dev/null)
COR1=$(run corio1 "$BIN" crawl "$URL" --ignore-robots --max-tasks 1 --per-host 1 --output /dev/null)

WGOT=$(grep -c ' URL: \?http' "$DIR/wget.err" || true)
CGOT=$(grep -o 'crawl: [0-9]* URLs' "$DIR/corio.err" | grep -o '[0-9]*')
C1GOT=$(grep -o 'crawl: [0-9]* URLs' "$DIR/corio1.err" | grep -o '[0-9]*')
echo "site: $URLS URLs; fetched: wget $WGOT, corio $CGOT, corio (1 at a time) $C1GOT"

python3 - "$URLS" "$WGET" "$COR" "$COR1" <<'PY'
import sys
urls = int(sys.argv[1])
rows = [a.split() for a in sys.argv[2:]]
stats = {n: (urls / float(w), float(c) / urls * 1e6) for n, w, c in rows}
print(f"{'crawler':<22}{'pages/s':>10}{'CPU µs/page':>14}{'pages/s ÷ wget':>17}{'CPU ÷ wget':>12}")
wr, wc = stats["wget"]
for name, label in [("wget", "wget --spider -r"), ("corio", "corio crawl"),
                    ("corio1", "corio crawl, 1 at once")]:
    r, c = stats[name]
    print(f"{label:<22}{r:>10.0f}{c:>14.0f}{r / wr:>17.2f}{c / wc:>12.2f}")
PY
