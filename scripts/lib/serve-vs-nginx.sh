# Sourced by the scripts that load `corio serve` and nginx side by side with wrk
# (bench-static.sh, bench-compress.sh): the tools, the binary, a scratch directory, and each
# server started on one worker pinned to CPU 0. The caller is at the repository root and has
# `set -euo pipefail`.
#
# Sets: corio (the binary), tmp (scratch: www/ is the document root, nginx/ nginx's files),
# tck (clock ticks per second), scheme (http or https). Reads: nginx_http (extra directives for
# nginx's http block), tls (1: both servers over TLS with one self-signed EC P-256 certificate,
# TLS 1.2 and 1.3 and a session cache on both, as in ../shared/bench/peers/nginx-tls.conf.in).
# Functions: free_port, start_server NAME PORT (sets pid), wait_ready PORT PATH,
# cpu_ticks PID, wrk_requests OUTPUT, wrk_rate OUTPUT.

command -v nginx >/dev/null && command -v wrk >/dev/null || {
  apt-get update && apt-get install -y nginx wrk
}
corio=${CORIO:-target/release/corio}  # CORIO=path: bench that binary, no build
[ -n "${CORIO:-}" ] || cargo build --release -q -p corio-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; pkill -P $$ 2>/dev/null || true' EXIT
# mktemp -d is 0700: nginx's worker (user nobody) could not read the files and would be
# measured serving 403s.
chmod 755 "$tmp"
mkdir -p "$tmp/www" "$tmp/nginx"
tck=$(getconf CLK_TCK)
nginx_http=${nginx_http:-}
tls=${tls:-0}
scheme=http
corio_tls=()
nginx_listen=""
if [ "$tls" = 1 ]; then
  scheme=https
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
  chmod 644 "$tmp/key.pem"
  corio_tls=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
  nginx_listen=" ssl"
  nginx_http="$nginx_http
    ssl_certificate $tmp/cert.pem; ssl_certificate_key $tmp/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m;"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() { # name port; sets $pid
  case $1 in
    corio)
      taskset -c 0 "$corio" serve "$tmp/www" --addr "127.0.0.1:$2" --workers 1 --quiet "${corio_tls[@]}" >/dev/null 2>&1 &
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
    keepalive_requests 100000000;
    client_body_temp_path $tmp/nginx/body;
    $nginx_http
    server { listen 127.0.0.1:$2$nginx_listen reuseport backlog=4096; root $tmp/www; }
}
CONF
      taskset -c 0 nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" >/dev/null 2>&1 &
      pid=$! ;;
  esac
}

wait_ready() { # port path
  for _ in $(seq 50); do curl -sfk -o /dev/null "$scheme://127.0.0.1:$1$2" && return; sleep 0.1; done
}

cpu_ticks() { # pid (and its children: nginx's master forks the worker)
  local total=0
  for p in $1 $(pgrep -P "$1" || true); do
    read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat")
    total=$((total + u + s))
  done
  echo $total
}

wrk_requests() { echo "$1" | grep -oP '^\s+\K[0-9]+(?= requests in)'; }
wrk_rate() { echo "$1" | grep -oP 'Requests/sec:\s+\K[0-9.]+'; }
