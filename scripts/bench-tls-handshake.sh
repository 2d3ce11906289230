#!/usr/bin/env bash
# Server instructions per TLS handshake, side by side: corio (the plaintext example over TLS,
# one worker) against hyper+rustls (../shared/bench's hyper-tls-hello, aws-lc-rs), counted
# by callgrind, so the figure does not move with the machine's load. Each server runs under
# callgrind; a Python client (OpenSSL, TLS 1.3, X25519, an EC P-256 certificate as
# http-bench makes) opens N connections one after another, one request each. The counters
# are zeroed after a warm-up of 20 connections and dumped after the N, so start-up is not
# counted. "resume": each connection resumes the previous one's session (the PSK + ECDHE
# handshake wrk makes with --new-conn); "full": the servers refuse resumption.
#
#   scripts/bench-tls-handshake.sh [N] [ROUNDS]
#
# Needs: valgrind, python3, openssl, curl; hyper-tls-hello, which
# `../shared/bench/http-bench --tls` builds into ~/.cache/bench-peers-target (or set
# HYPER_TLS=path); builds target/release/examples/plaintext (or set PLAINTEXT=path).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
rounds=${2:-3}
plaintext=${PLAINTEXT:-target/release/examples/plaintext}
hyper=${HYPER_TLS:-${BENCH_PEERS_TARGET:-$HOME/.cache/bench-peers-target}/release/hyper-tls-hello}
[ -n "${PLAINTEXT:-}" ] || cargo build --release -q -p corio-http --example plaintext
[ -x "$hyper" ] || { echo "no $hyper: run ../shared/bench/http-bench --tls once" >&2; exit 1; }
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
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 7 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

cat > "$tmp/client.py" <<'PY'
import socket, ssl, sys
port, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
session, resumed = None, 0
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="localhost", session=session)
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        try:
            chunk = s.recv(4096)
        except (ssl.SSLEOFError, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        sys.exit(f"unexpected answer: {data[:40]!r}")
    resumed += s.session_reused
    if mode == "resume":
        session = s.session
    s.close()
if mode == "resume" and resumed < n - 1:
    sys.exit(f"only {resumed} of {n} connections resumed")
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

measure() { # name mode: prints instructions per connection
  local port out
  port=$(free_port)
  out="$tmp/cg.$1.$2"
  local cmd
  case $1 in
    corio) cmd=("$plaintext" --port "$port" --workers 1 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
           [ "$2" = full ] && cmd+=(--no-resume) ;;
    hyper) cmd=("$hyper" "$port" "$tmp/cert.pem" "$tmp/key.pem")
           [ "$2" = full ] && cmd+=(no-resume) ;;
  esac
  valgrind --tool=callgrind --callgrind-out-file="$out.%p" "${cmd[@]}" >"$out.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    curl -skf -o /dev/null "https://127.0.0.1:$port/plaintext" && break
    sleep 0.2
  done
  python3 "$tmp/client.py" "$port" 20 "$2"
  callgrind_control -z "$server_pid" >/dev/null 2>&1
  python3 "$tmp/client.py" "$port" "$n" "$2"
  callgrind_control -d "$server_pid" >/dev/null 2>&1
  stop_server
  awk '/^summary:/ {print $2}' "$out".*.1 | awk -v n="$n" '{printf "%.0f", $1 / n}'
}

printf '%-6s %5s %14s %14s %8s\n' mode round 'corio Ir/conn' 'hyper Ir/conn' ratio
for round in $(seq "$rounds"); do
  for mode in resume full; do
    c=$(measure corio $mode)
    h=$(measure hyper $mode)
    awk -v m=$mode -v r="$round" -v c="$c" -v h="$h" \
      'BEGIN { printf "%-6s %5d %14d %14d %8.3f\n", m, r, c, h, c / h }'
  done
done
