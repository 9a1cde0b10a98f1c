#!/usr/bin/env bash
# Builds the five Lambda binaries for AWS (provided.al2023, arm64) with cargo-lambda:
#   target/lambda/<binary>/bootstrap (under CARGO_TARGET_DIR when set)
# Installs what it needs when missing: cargo-lambda (and zig, its linker) into
# .venv-aws via pip, and the aarch64-unknown-linux-gnu Rust target.
# Usage: infra/scripts/build-lambdas.sh [--install-only]
# `sam build` (template.yaml, BuildMethod rust-cargolambda) needs the same tools:
# put .venv-aws/bin on PATH first (see infra/deploy.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

log() { printf 'build-lambdas: %s\n' "$*"; }
die() { printf 'build-lambdas: ERROR: %s\n' "$*" >&2; exit 1; }

install_only=0
case "${1:-}" in
"") ;;
--install-only) install_only=1 ;;
*) die "usage: $0 [--install-only]" ;;
esac

# Package name = binary name = BuildProperties.Binary in template.yaml.
BINARIES=(ep-auth ep-accounts ep-requests ep-attachments ep-maintenance)
TARGET=aarch64-unknown-linux-gnu
VENV="$ROOT/.venv-aws"
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating python venv .venv-aws"
    python3 -m venv "$VENV"
fi
if [[ ! -x "$VENV/bin/cargo-lambda" ]]; then
    log "pip install cargo-lambda (with zig) into .venv-aws"
    "$VENV/bin/pip" install -q 'cargo-lambda>=1,<2'
else
    log "cargo-lambda present ($("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null || echo unknown version))"
fi
export PATH="$VENV/bin:$PATH"

if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "rustup target add $TARGET"
    rustup target add "$TARGET"
else
    log "Rust target $TARGET present"
fi

if ((install_only)); then
    log "tools installed (--install-only): not building"
    exit 0
fi

# One function at a time: each is a fat-LTO link of minutes, and two at once on a
# small machine only compete for the same cores.
for bin in "${BINARIES[@]}"; do
    log "cargo lambda build --release --arm64 -p $bin"
    cargo lambda build --release --arm64 -p "$bin"
done

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
log "bootstrap sizes:"
for bin in "${BINARIES[@]}"; do
    f="$TARGET_DIR/lambda/$bin/bootstrap"
    [[ -f "$f" ]] || die "$f was not built"
    size=$(stat -c %s "$f")
    printf '  %-16s %9s bytes (%s)  %s\n' "$bin" "$size" "$(numfmt --to=iec-i --suffix=B "$size")" "$f"
done
