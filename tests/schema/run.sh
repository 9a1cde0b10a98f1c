#!/usr/bin/env bash
# Schemathesis against site/openapi.yaml and the local gateway, once per role (issue 10).
# Builds the gateway (cargo build -p ep-gateway), then tests/schema/run.py starts it on
# 127.0.0.1:<free port> with a fresh data directory, seeds one account of each role
# through the API and runs `st run` per role with that role's session cookie:
# checks not_a_server_error, status_code_conformance, response_schema_conformance and
# content_type_conformance; deterministic generation; the mode `all` (valid and invalid
# data). Prints cases and failures per run; exits non-zero on any failure.
#
# Needs .venv-schema (infra/scripts/setup-test-tools.sh installs schemathesis there).
# Environment (optional):
#   EP_SCHEMA_MAX_EXAMPLES  cases per operation and phase, generated ids (default 30; with the
#                           own-ids pass at 15: ~25 000 cases, ~4 to 5 min on two busy cores)
#   EP_SCHEMA_GATEWAY       gateway binary to use (no build)
#   EP_SCHEMA_REPORT_DIR    where the st outputs and ndjson reports go (default: a temp dir)
#   EP_SCHEMA_ONLY          some runs only: technicien,gestionnaire,agent,admin,session-ending
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

ST="$ROOT/.venv-schema/bin/st"
[[ -x "$ST" ]] || { echo "schema: $ST missing: run infra/scripts/setup-test-tools.sh" >&2; exit 1; }

if [[ -n "${EP_SCHEMA_GATEWAY:-}" ]]; then
    binary="$EP_SCHEMA_GATEWAY"
else
    cargo build --quiet -p ep-gateway
    target="$(cargo metadata --format-version 1 --no-deps | "$ROOT/.venv-schema/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    binary="$target/debug/ep-gateway"
fi

args=(--binary "$binary" --st "$ST" --max-examples "${EP_SCHEMA_MAX_EXAMPLES:-30}")
[[ -n "${EP_SCHEMA_REPORT_DIR:-}" ]] && args+=(--report-dir "$EP_SCHEMA_REPORT_DIR")
[[ -n "${EP_SCHEMA_ONLY:-}" ]] && args+=(--only "$EP_SCHEMA_ONLY")
# Bounded: about 5 minutes on two cores; 15 minutes is a hang.
exec timeout --signal=INT --kill-after=30 900 "$ROOT/.venv-schema/bin/python" "$ROOT/tests/schema/run.py" "${args[@]}"
