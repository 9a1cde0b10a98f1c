#!/usr/bin/env bash
# Benchmark of the partner's history (issue 11): builds the local gateway and the
# benchmark with the `bench` profile (the release optimisation, without thin LTO),
# seeds one partner with 100 000 requests over 5 caisses in a fresh data directory,
# signs a technicien in and measures, through the gateway over HTTP/1.1 keep-alive,
# a history page unfiltered, filtered by state and by a rare name prefix, against a
# static file of the same size. Prints the table; exits 1 when a goal is missed
# (at most 2 store round trips after the session check, at least 0.5x the static
# file's throughput, p99 under 5 ms).
#
# Usage: infra/scripts/bench-requests.sh
# Knobs (environment): EP_BENCH_REQUESTS (100000), EP_BENCH_N requests per case
# (2000), EP_BENCH_CONNS concurrent connections (4), EP_BENCH_ROUNDS (3),
# EP_BENCH_DATA a directory to keep the seeded store in and reuse (default: a
# temporary one, removed). Needs about 2 GB of disk under the temp directory.
# Not part of CI (test-all.sh does not run it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

printf 'bench-requests: building (cargo bench --no-run, first build takes a few minutes)\n'
cargo bench -p ep-gateway --bench requests --no-run
printf 'bench-requests: running\n'
exec cargo bench -p ep-gateway --bench requests
