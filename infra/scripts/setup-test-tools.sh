#!/usr/bin/env bash
# Installs what the test suite needs, and only what is missing:
#   - .venv-aws at the repository root: moto[server] (AWS on the wire) and cfn-lint;
#   - .venv-sam at the repository root: aws-sam-cli (sam validate --lint);
#   - .venv-schema at the repository root: schemathesis (tests/schema/run.sh);
#   - Debian packages: clamav + clamav-daemon (clamd, sigtool) and chromium;
#   - rustfmt and clippy (rustup components);
#   - the browser tests' npm packages (tests/browser), if that directory exists.
# Never downloads a browser build: tests use playwright-core with /usr/bin/chromium.
# Idempotent: a second run only checks, and takes a second or two.
# Runs as root on Debian 12 (apt-get), with python3, node/npm and cargo present.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Belt and braces: no npm package may fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PUPPETEER_SKIP_DOWNLOAD=1

VENV="$ROOT/.venv-aws"
# Major versions pinned; the stamp records what was installed.
PY_REQUIREMENTS=('moto[server]>=5,<6' 'cfn-lint>=1,<2')

# ------------------------------------------------------------ Debian packages
apt_missing=()
command -v python3 >/dev/null || die "python3 is required"
if [[ ! -x "$VENV/bin/python" ]] && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_missing+=(python3-venv)
fi
if ! { command -v clamd >/dev/null || [[ -x /usr/sbin/clamd ]]; } || ! command -v sigtool >/dev/null; then
    apt_missing+=(clamav clamav-daemon)
fi
if [[ ! -x /usr/bin/chromium ]]; then
    # With its recommended packages (the known-working recipe); fonts-liberation
    # named so that pages render with real fonts.
    apt_missing+=(chromium fonts-liberation)
fi
# The audit browser journey tampers with the data directory's SQLite file.
command -v sqlite3 >/dev/null || apt_missing+=(sqlite3)
if ((${#apt_missing[@]})); then
    command -v apt-get >/dev/null || die "missing ${apt_missing[*]} and no apt-get to install them"
    apt_log="$(mktemp)"
    log "apt-get update (needed for: ${apt_missing[*]})"
    apt-get update -qq >"$apt_log" 2>&1 || { cat "$apt_log" >&2; die "apt-get update failed"; }
    log "apt-get install ${apt_missing[*]} (output in a log, shown on failure)"
    apt-get install -y -q -o Dpkg::Use-Pty=0 "${apt_missing[@]}" >"$apt_log" 2>&1 ||
        { tail -n 40 "$apt_log" >&2; die "apt-get install failed"; }
    rm -f "$apt_log"
else
    log "Debian packages present (clamd, sigtool, chromium)"
fi

# ------------------------------------------------------------ Python venv
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'pass' 2>/dev/null; then
    log "creating python venv .venv-aws"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
stamp="$VENV/.ep-requirements"
wanted="${PY_REQUIREMENTS[*]}"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -x "$VENV/bin/moto_server" && -x "$VENV/bin/cfn-lint" ]] &&
    "$VENV/bin/python" -c 'import moto, flask, cfnlint' 2>/dev/null; then
    log "python tools present in .venv-aws ($("$VENV/bin/python" -c 'import importlib.metadata as m; print("moto", m.version("moto"), "cfn-lint", m.version("cfn-lint"))'))"
else
    log "pip install ${wanted} into .venv-aws"
    "$VENV/bin/pip" install -q "${PY_REQUIREMENTS[@]}"
    printf '%s' "$wanted" >"$stamp"
fi

# ------------------------------------------------------------ SAM CLI (own venv)
# `sam validate --lint` checks the template as SAM transforms it (the GuardDuty
# plan, the EventBridge rule). aws-sam-cli pins an older boto3 than moto: its own venv.
SAM_VENV="$ROOT/.venv-sam"
SAM_REQUIREMENT='aws-sam-cli>=1,<2'
if [[ ! -x "$SAM_VENV/bin/python" ]] || ! "$SAM_VENV/bin/python" -c 'pass' 2>/dev/null; then
    log "creating python venv .venv-sam"
    rm -rf "$SAM_VENV"
    python3 -m venv "$SAM_VENV"
fi
sam_stamp="$SAM_VENV/.ep-requirements"
if [[ -f "$sam_stamp" && "$(cat "$sam_stamp")" == "$SAM_REQUIREMENT" && -x "$SAM_VENV/bin/sam" ]]; then
    log "sam present in .venv-sam"
else
    log "pip install ${SAM_REQUIREMENT} into .venv-sam"
    "$SAM_VENV/bin/pip" install -q "$SAM_REQUIREMENT"
    printf '%s' "$SAM_REQUIREMENT" >"$sam_stamp"
fi

# ------------------------------------------------------------ schemathesis (own venv)
# tests/schema/run.sh: the OpenAPI document against the running gateway. Its own venv:
# its Hypothesis and jsonschema pins are none of moto's business.
SCHEMA_VENV="$ROOT/.venv-schema"
SCHEMA_REQUIREMENT='schemathesis>=4,<5'
if [[ ! -x "$SCHEMA_VENV/bin/python" ]] || ! "$SCHEMA_VENV/bin/python" -c 'pass' 2>/dev/null; then
    log "creating python venv .venv-schema"
    rm -rf "$SCHEMA_VENV"
    python3 -m venv "$SCHEMA_VENV"
fi
schema_stamp="$SCHEMA_VENV/.ep-requirements"
if [[ -f "$schema_stamp" && "$(cat "$schema_stamp")" == "$SCHEMA_REQUIREMENT" && -x "$SCHEMA_VENV/bin/st" ]] &&
    "$SCHEMA_VENV/bin/python" -c 'import schemathesis' 2>/dev/null; then
    log "schemathesis present in .venv-schema ($("$SCHEMA_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))'))"
else
    log "pip install ${SCHEMA_REQUIREMENT} into .venv-schema"
    "$SCHEMA_VENV/bin/pip" install -q "$SCHEMA_REQUIREMENT"
    printf '%s' "$SCHEMA_REQUIREMENT" >"$schema_stamp"
fi

# ------------------------------------------------------------ Rust components
if ! cargo fmt --version >/dev/null 2>&1; then
    log "rustup component add rustfmt"
    rustup component add rustfmt
fi
if ! cargo clippy --version >/dev/null 2>&1; then
    log "rustup component add clippy"
    rustup component add clippy
fi
log "rustfmt and clippy present"

# ------------------------------------------------------------ browser tests
BROWSER_DIR="$ROOT/tests/browser"
if [[ -f "$BROWSER_DIR/package.json" ]]; then
    command -v npm >/dev/null || die "npm is required for tests/browser"
    # Stamp = hash of the manifest and lockfile: reinstall only when they change.
    hash_inputs=("$BROWSER_DIR/package.json")
    [[ -f "$BROWSER_DIR/package-lock.json" ]] && hash_inputs+=("$BROWSER_DIR/package-lock.json")
    want_hash="$(cat "${hash_inputs[@]}" | sha256sum | cut -d' ' -f1)"
    npm_stamp="$BROWSER_DIR/node_modules/.ep-stamp"
    if [[ -d "$BROWSER_DIR/node_modules" && -f "$npm_stamp" && "$(cat "$npm_stamp")" == "$want_hash" ]]; then
        log "npm packages of tests/browser present"
    else
        if [[ -f "$BROWSER_DIR/package-lock.json" ]]; then
            log "npm ci in tests/browser"
            npm ci --prefix "$BROWSER_DIR" --no-audit --no-fund --loglevel=error
        else
            log "npm install in tests/browser (no package-lock.json yet)"
            npm install --prefix "$BROWSER_DIR" --no-audit --no-fund --loglevel=error
            # npm install may have just written the lockfile: hash what is there now.
            hash_inputs=("$BROWSER_DIR/package.json")
            [[ -f "$BROWSER_DIR/package-lock.json" ]] && hash_inputs+=("$BROWSER_DIR/package-lock.json")
            want_hash="$(cat "${hash_inputs[@]}" | sha256sum | cut -d' ' -f1)"
        fi
        mkdir -p "$BROWSER_DIR/node_modules" # absent when there is no dependency
        printf '%s' "$want_hash" >"$npm_stamp"
    fi
else
    log "no tests/browser/package.json: skipping npm"
fi

log "done"
