#!/usr/bin/env bash
# Peak memory of the local gateway under a burst of sign-ins (64 concurrent for 30 s;
# EP_BENCH_CONCURRENCY / EP_BENCH_SECONDS to change). Builds the gateway, then prints
# the figures (infra/scripts/bench-login-memory.py). A benchmark: CI does not run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
cargo build --release -p ep-gateway
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
exec python3 "$ROOT/infra/scripts/bench-login-memory.py" "$TARGET/release/ep-gateway"
