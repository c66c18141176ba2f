#!/bin/sh
# The network probe's benchmark: 256 loopback hosts (127.2.0.1-127.2.1.0) × the default port list,
# with fake services on a few of them, wall time and peak open file descriptors.
# Usage: bench/probe.sh [HOSTS [CONCURRENCY [TIMEOUT_MS [SILENT(1|0)]]]]
set -e
cd "$(dirname "$0")/.."
cargo build --release -p palisade-probe --example probe_bench
bin="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/examples/probe_bench"
if [ $# -gt 0 ]; then
    exec "$bin" "$@"
fi
# Closed ports only (what a scan of a mostly dark network costs), then with one port that
# accepts and never answers (what dominates: two timeouts), then with a lower concurrency.
"$bin" 256 256 2000 0
"$bin" 256 256 2000 1
"$bin" 256 64 2000 0
