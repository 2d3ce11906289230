# Sourced by the client-side benchmarks (bench-client.sh, bench-loadgen.sh,
# bench-h2-loadgen.sh --nginx): one nginx worker pinned to CPU 0 answering every request with
# 200 "Hello, World!", over HTTP (with H2=1: HTTP/2 with prior knowledge, h2c) or, with
# TLS=1, over HTTPS with a self-signed EC P-256 certificate for 127.0.0.1 (TLS 1.2 and 1.3 and
# a shared session cache, as ../shared/bench/peers/nginx-tls.conf.in). The caller is at the
# repository root and has `set -euo pipefail`.
#
# start_nginx sets DIR (scratch, removed at exit), PORT, URL, SCHEME, CORIO_TLS (the flags
# that make corio trust the certificate: an array, empty over HTTP) and NGINX_PID.

TLS=${TLS:-0}
H2=${H2:-0}

start_nginx() {
    DIR=$(mktemp -d)
    trap 'kill "$NGINX_PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    local listen="listen 127.0.0.1:$PORT;" tls=""
    SCHEME=http
    CORIO_TLS=()
    if [ "$TLS" = 1 ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$DIR/key.pem" -out "$DIR/cert.pem" -days 7 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
        listen="listen 127.0.0.1:$PORT ssl;"
        tls="ssl_certificate $DIR/cert.pem; ssl_certificate_key $DIR/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m;"
        SCHEME=https
        CORIO_TLS=(--cacert "$DIR/cert.pem")
    elif [ "$H2" = 1 ]; then
        listen="listen 127.0.0.1:$PORT http2;"
    fi
    cat > "$DIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log /dev/null;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $DIR/body;
    $tls
    server {
        $listen
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
    ulimit -n 8192 2>/dev/null || true
    taskset -c 0 nginx -c "$DIR/nginx.conf" -p "$DIR" &
    NGINX_PID=$!
    URL="$SCHEME://127.0.0.1:$PORT/"
    for _ in $(seq 50); do
        curl -sfk $([ "$H2" = 1 ] && echo --http2-prior-knowledge) -o /dev/null "$URL" && return
        sleep 0.1
    done
    echo "nginx did not answer on $URL" >&2
    exit 1
}
