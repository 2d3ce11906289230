#!/usr/bin/env bash
# The hostile-client and fault tests at full size: 2,000 slowloris connections (CI runs 200),
# with the descriptor limit raised for them (each connection is two descriptors in the test
# process: client and server side).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 16384
export CORIO_SLOWLORIS_CONNS=${CORIO_SLOWLORIS_CONNS:-2000}
cargo test -p corio-http --test hostile_slowloris --test hostile_pipeline --test hostile_reset \
  --test faults_handlers -- --nocapture
cargo test -p corio-cli --test hostile_fd_flood --test faults_serve -- --nocapture
