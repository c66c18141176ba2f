#!/usr/bin/env bash
# Load test of `palisade webhook` over TLS on loopback with a real load generator (oha).
#
#   bench/webhook.sh                       # all phases
#   OHA=/path/to/oha DURATION=20 bench/webhook.sh
#   PALISADE=/path/to/palisade bench/webhook.sh   # that binary, no build (to compare two builds)
#
# Phases: saturated throughput (HTTP/1.1 keep-alive and HTTP/2), latency at a fixed 2,000
# reviews/s, and a 60 s soak at 2,000 reviews/s sampling the server's RSS every 5 s. The body is
# a typical Deployment AdmissionReview (bench/webhook/deployment-review.json, 2 containers,
# allowed with warnings). Install oha outside the repo:
#   cargo install oha --locked --root /work/tools
set -euo pipefail
cd "$(dirname "$0")/.."

OHA=${OHA:-/work/tools/bin/oha}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18443}
TARGET=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu
BODY=bench/webhook/deployment-review.json
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# wrk (Debian) is the fallback for the saturated HTTP/1.1 run; it cannot hold a fixed rate.
if ! command -v "$OHA" >/dev/null; then
  command -v wrk >/dev/null || { echo "neither oha ($OHA) nor wrk found" >&2; exit 2; }
  OHA=""
fi

if [ -z "${PALISADE:-}" ]; then
  cargo build --release -p palisade --quiet
  PALISADE=$TARGET/release/palisade
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null

# No exec guard (no cluster here); everything else at its defaults.
printf 'webhook:\n  exec-guard:\n    enabled: false\n' > "$WORK/palisade.yaml"
"$PALISADE" webhook --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
  --config "$WORK/palisade.yaml" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 50); do curl -sk "https://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

URL="https://127.0.0.1:$PORT/validate"
curl -sk -H 'Content-Type: application/json' --data-binary @"$BODY" "$URL" | head -c 300; echo
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$SERVER/status"; }
# CPU seconds the server has used (user + system), to tell its cost from the load generator's
# and from other load on the machine.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$SERVER/stat"; }
served() { curl -sk "https://127.0.0.1:$PORT/metrics" | awk '/_duration_seconds_count/ {n += $2} END {print n + 0}'; }
phase() { # phase NAME oha-args...: runs oha, then prints the server's CPU per review
  local name=$1; shift
  echo "== $name"
  local c0 n0 c1 n1
  c0=$(cpu); n0=$(served)
  run "$@" | summary
  c1=$(cpu); n1=$(served)
  awk -v c="$c1" -v d="$c0" -v n="$n1" -v m="$n0" \
    'BEGIN { if (n > m) printf "  server CPU: %.1f µs per review (%.1f s for %d reviews)\n", (c - d) / (n - m) * 1e6, c - d, n - m }'
}
run() { "$OHA" --no-tui --insecure -m POST -H 'Content-Type: application/json' -D "$BODY" "$@" "$URL"; }
summary() { grep -E 'Success rate|Requests/sec|Slowest|Fastest|Average|50.00%|90.00%|99.00%|99.90%|\[200\]|Error' || true; }

echo "RSS at start: $(rss); load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
if [ -z "$OHA" ]; then
  echo "== saturated, HTTP/1.1 (wrk), $CONNECTIONS connections, ${DURATION}s"
  BODY="$BODY" wrk -t2 -c "$CONNECTIONS" -d "${DURATION}s" --latency -s bench/webhook/post.lua "$URL"
  echo "RSS at end: $(rss)"
  echo "(install oha for the HTTP/2, fixed-rate and soak phases)"
  exit 0
fi
phase "saturated, HTTP/1.1, $CONNECTIONS connections, ${DURATION}s" -z "${DURATION}s" -c "$CONNECTIONS"
phase "saturated, HTTP/2, 8 connections x 8 streams, ${DURATION}s" -z "${DURATION}s" -c 8 -p 8 --http2
phase "fixed rate 2000/s, HTTP/1.1, 32 connections, ${DURATION}s" -z "${DURATION}s" -c 32 -q 2000 --latency-correction
echo "== soak: 60 s at 2000/s; RSS every 5 s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
( for i in $(seq 12); do sleep 5; echo "  t=$((i * 5))s RSS $(rss)"; done ) &
SAMPLER=$!
run -z 60s -c 32 -q 2000 --latency-correction | summary
wait "$SAMPLER"
echo "RSS at end: $(rss)"
curl -sk "https://127.0.0.1:$PORT/metrics" | grep -E 'reviews_total\{|duration_seconds_(count|sum)'
