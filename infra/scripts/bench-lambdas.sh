#!/usr/bin/env bash
# Sizes and cold starts of the five Lambda binaries (issue 13). A benchmark, not a
# test: CI does not run it. Builds each function in release for the host, one at a
# time (fat LTO: minutes each), builds the hello-world baseline of the shared
# cold-start harness with the same profile, then runs bench-lambdas.py: per function,
# stripped size, median cold start, median of the paired ratios against the baseline
# (budget: 8 MB, 1.5x), warm time of one invocation. Writes the figures as JSON for
# cost-model.py (default target/bench-lambdas.json).
# Usage: infra/scripts/bench-lambdas.sh [-n ROUNDS] [--json FILE] [--aarch64]
#   --aarch64  also builds the arm64 binaries with build-lambdas.sh and prints their sizes
# EP_COLDSTART_DIR: the harness directory (default ../shared/tools/coldstart).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

log() { printf 'bench-lambdas: %s\n' "$*" >&2; }
die() { printf 'bench-lambdas: ERROR: %s\n' "$*" >&2; exit 1; }

rounds=15
aarch64=0
json=""
while (($#)); do
    case "$1" in
    -n) rounds="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --aarch64) aarch64=1; shift ;;
    *) die "usage: $0 [-n ROUNDS] [--json FILE] [--aarch64]" ;;
    esac
done

HARNESS_DIR="${EP_COLDSTART_DIR:-$ROOT/../shared/tools/coldstart}"
[[ -f "$HARNESS_DIR/coldstart.py" && -d "$HARNESS_DIR/baseline-hello" ]] ||
    die "no cold-start harness in $HARNESS_DIR (set EP_COLDSTART_DIR)"
TARGET="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
json="${json:-$TARGET/bench-lambdas.json}"

BINARIES=(ep-auth ep-accounts ep-requests ep-attachments ep-maintenance)
for bin in "${BINARIES[@]}"; do
    log "cargo build --release -p $bin"
    nice -n 10 cargo build --release --quiet -p "$bin"
done

# The baseline with the workspace's release profile (read from Cargo.toml), built in a
# copy: the harness directory is read-only.
profile_args=()
while IFS= read -r kv; do
    profile_args+=(--config "profile.release.$kv")
done < <(python3 - "$ROOT/Cargo.toml" <<'EOF'
import sys, tomllib
p = tomllib.load(open(sys.argv[1], "rb"))["profile"]["release"]
for k, v in p.items():
    if k != "package":
        print(f"{k}={v!r}".replace("'", '"').replace("True", "true").replace("False", "false"))
EOF
)
BASE_SRC="$TARGET/bench-baseline"
if ! diff -rq "$HARNESS_DIR/baseline-hello/src" "$BASE_SRC/src" >/dev/null 2>&1 ||
    ! cmp -s "$HARNESS_DIR/baseline-hello/Cargo.toml" "$BASE_SRC/Cargo.toml"; then
    rm -rf "$BASE_SRC"
    mkdir -p "$BASE_SRC"
    cp -r "$HARNESS_DIR/baseline-hello/Cargo.toml" "$HARNESS_DIR/baseline-hello/src" "$BASE_SRC/"
    chmod -R u+w "$BASE_SRC"
fi
log "baseline-hello with the release profile: ${profile_args[*]}"
(cd "$BASE_SRC" && CARGO_TARGET_DIR="$TARGET/bench-baseline-target" \
    nice -n 10 cargo build --release --quiet "${profile_args[@]}")
BASELINE="$TARGET/bench-baseline-target/release/baseline-hello"

args=()
for bin in "${BINARIES[@]}"; do
    args+=("$bin=$TARGET/release/$bin")
done
python3 "$ROOT/infra/scripts/bench-lambdas.py" --harness "$HARNESS_DIR/coldstart.py" \
    --baseline "$BASELINE" -n "$rounds" --json "$json" "${args[@]}"
log "figures written to $json (cost-model.py reads them)"

if ((aarch64)); then
    "$ROOT/infra/scripts/build-lambdas.sh"
fi
