#!/usr/bin/env bash
# The whole test suite, as the README says and as CI (.ci/run) runs it:
#   1. installs what the tests need (setup-test-tools.sh; quick when done before)
#   2. starts moto (127.0.0.1:5000) and clamd (127.0.0.1:3310), stopped on exit
#   3. cargo fmt --check, cfn-lint and sam validate --lint on template.yaml, clippy -D warnings,
#      what the Lambda binaries link (check-lambda-deps.sh), the five Lambda binaries
#      built for this machine (debug), cargo test (with EP_TEST_AWS_ENDPOINT /
#      EP_TEST_CLAMD / EP_TEST_LAMBDA_DIR: the API journeys also run through the binaries,
#      the gateway's Lambda mode), schemathesis against the local gateway
#      (tests/schema/run.sh), browser tests (one of them in Lambda mode).
# Every check runs even when an earlier one failed; the exit status is non-zero
# if any failed, and the last line says which.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SCRIPTS="$ROOT/infra/scripts"

if [[ "${CI:-}" == "true" ]]; then
    export CARGO_TERM_COLOR=never
fi

banner() { printf '\n==> %s\n' "$*"; }

banner "setup: installing test tools"
bash "$SCRIPTS/setup-test-tools.sh"

services_started=0
stop_services() {
    if ((services_started)); then
        services_started=0
        bash "$SCRIPTS/services.sh" stop || true
    fi
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

banner "services: starting moto and clamd"
services_started=1
bash "$SCRIPTS/services.sh" start

export EP_TEST_AWS_ENDPOINT="http://127.0.0.1:5000"
export EP_TEST_CLAMD="127.0.0.1:3310"

passed=()
failed=()
# step <name> <command...>: runs it with output on the console, records the result.
step() {
    local name="$1" start rc
    shift
    banner "$name: $*"
    start=$SECONDS
    if "$@"; then
        rc=0
        passed+=("$name")
    else
        rc=$?
        failed+=("$name")
    fi
    printf '==> %s: %s (exit %s, %ss)\n' "$name" "$([[ $rc == 0 ]] && echo ok || echo FAILED)" "$rc" "$((SECONDS - start))"
}

step fmt cargo fmt --all --check
step cfn-lint "$ROOT/.venv-aws/bin/cfn-lint" template.yaml
step sam-validate env SAM_CLI_TELEMETRY=0 "$ROOT/.venv-sam/bin/sam" validate --lint --region eu-west-3
step clippy cargo clippy --workspace --all-targets -- -D warnings
step lambda-deps bash "$ROOT/infra/scripts/check-lambda-deps.sh"
# The function binaries for the Lambda-mode tests (debug build, the shared target dir:
# the dependencies compiled here serve the test build too).
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
step lambda-build cargo build -p ep-auth -p ep-accounts -p ep-requests -p ep-attachments -p ep-maintenance --bins
export EP_TEST_LAMBDA_DIR="$TARGET_DIR/debug"
export EP_BROWSER_LAMBDA_DIR="$TARGET_DIR/debug"
step cargo-test cargo test --workspace
step schemathesis bash "$ROOT/tests/schema/run.sh"
if [[ -f "$ROOT/tests/browser/package.json" ]]; then
    step browser npm test --prefix "$ROOT/tests/browser"
fi

banner "services: stopping"
stop_services
trap - EXIT

echo
if ((${#failed[@]})); then
    printf 'test-all: FAILED: %s (succeeded: %s)\n' "${failed[*]}" "${passed[*]:-none}"
    exit 1
fi
printf 'test-all: OK: all checks succeeded (%s)\n' "${passed[*]}"
