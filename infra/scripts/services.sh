#!/usr/bin/env bash
# Starts or stops the services the tests talk to, on 127.0.0.1 only:
#   moto server  127.0.0.1:5000  (DynamoDB, S3, SES on the wire)   -> EP_TEST_AWS_ENDPOINT
#   clamd        127.0.0.1:3310  (INSTREAM, EICAR test signature)  -> EP_TEST_CLAMD
# Usage: infra/scripts/services.sh start|stop|status
# A service already answering on its port is reused (and then never stopped by us).
# State (pids, logs, clamd config and database) lives under .ci-work/.
# Needs infra/scripts/setup-test-tools.sh to have run (moto in .venv-aws, clamd).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

WORK="$ROOT/.ci-work"
HOST=127.0.0.1
MOTO_PORT="${EP_MOTO_PORT:-5000}"
CLAMD_PORT="${EP_CLAMD_PORT:-3310}"
START_TIMEOUT="${EP_SERVICES_TIMEOUT:-60}" # seconds per service

log() { printf 'services: %s\n' "$*"; }
die() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ probes
# Is anything accepting TCP connections on HOST:$1?
port_open() {
    # shellcheck disable=SC2016 # expanded by the inner bash ($0, $1 are its arguments)
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# Does moto answer GET /moto-api/ with 200?
moto_answers() {
    # shellcheck disable=SC2016 # expanded by the inner bash ($0, $1 are its arguments)
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "GET /moto-api/ HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$0" "$1" >&3
        IFS= read -r status <&3 || exit 1
        [[ "$status" == HTTP/1.?" 200"* ]]
    ' "$HOST" "$MOTO_PORT" 2>/dev/null
}

# Does clamd answer zPING with PONG?
clamd_answers() {
    # shellcheck disable=SC2016 # expanded by the inner bash ($0, $1 are its arguments)
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "zPING\0" >&3
        IFS= read -r -d "" reply <&3 || [[ -n "${reply:-}" ]] || exit 1
        [[ "$reply" == PONG* ]]
    ' "$HOST" "$CLAMD_PORT" 2>/dev/null
}

# ------------------------------------------------------------ process helpers
# pid from .ci-work/<name>.pid if that process is alive and is what we started.
our_pid() {
    local name="$1" pattern="$2" pidfile="$WORK/$1.pid" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern"; then
        printf '%s' "$pid"
        return 0
    fi
    rm -f "$pidfile" # stale
    return 1
}

# wait_ready <name> <probe-function> <pid> <logfile>
wait_ready() {
    local name="$1" probe="$2" pid="$3" logfile="$4" deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if "$probe"; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            printf 'services: ERROR: %s exited during start-up; last lines of %s:\n' "$name" "$logfile" >&2
            tail -n 20 "$logfile" >&2 || true
            rm -f "$WORK/$name.pid"
            exit 1
        fi
        sleep 0.2
    done
    printf 'services: ERROR: %s did not answer within %ss; last lines of %s:\n' "$name" "$START_TIMEOUT" "$logfile" >&2
    tail -n 20 "$logfile" >&2 || true
    stop_one "$name" "$name" || true
    exit 1
}

stop_one() {
    local name="$1" pattern="$2" pid i
    if ! pid="$(our_pid "$name" "$pattern")"; then
        log "$name: not started by us, nothing to stop"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$WORK/$name.pid"
    log "$name: stopped (pid $pid)"
}

# ------------------------------------------------------------ moto
start_moto() {
    local pid
    if pid="$(our_pid moto moto_server)" && moto_answers; then
        log "moto: already running (pid $pid) on $HOST:$MOTO_PORT"
        return 0
    fi
    if moto_answers; then
        log "moto: reusing the server already answering on $HOST:$MOTO_PORT"
        return 0
    fi
    port_open "$MOTO_PORT" && die "port $HOST:$MOTO_PORT is taken by something that is not moto"
    [[ -x "$ROOT/.venv-aws/bin/moto_server" ]] ||
        die ".venv-aws/bin/moto_server missing: run infra/scripts/setup-test-tools.sh"
    log "moto: starting moto_server on $HOST:$MOTO_PORT (log .ci-work/moto.log)"
    "$ROOT/.venv-aws/bin/moto_server" -H "$HOST" -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$WORK/moto.pid"
    wait_ready moto moto_answers "$pid" "$WORK/moto.log"
    log "moto: ready (pid $pid)"
}

# ------------------------------------------------------------ clamd
EICAR_SIGNATURE_NAME=Eicar-Test-Signature

prepare_clamd() {
    local dir="$WORK/clamd"
    mkdir -p "$dir/db" "$dir/tmp"
    command -v sigtool >/dev/null || die "sigtool missing: run infra/scripts/setup-test-tools.sh"
    log "clamd: building the test signature database from the EICAR string"
    # The EICAR test string is written at run time only (never committed),
    # hashed into a one-line .hdb signature (md5:size:name), then removed.
    local eicar="$dir/tmp/eicar.com"
    # (Split in two so that no file of the repository contains the whole string.)
    # shellcheck disable=SC2016 # literal test string
    printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$eicar"
    sigtool --md5 "$eicar" | awk -F: -v n="$EICAR_SIGNATURE_NAME" 'NF >= 3 { print $1 ":" $2 ":" n }' >"$dir/db/eicar.hdb"
    rm -f "$eicar"
    [[ -s "$dir/db/eicar.hdb" ]] || die "sigtool produced no signature"
    cat >"$dir/clamd.conf" <<EOF
# Generated by infra/scripts/services.sh (test-only clamd).
Foreground yes
TCPAddr $HOST
TCPSocket $CLAMD_PORT
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
LogFile $WORK/clamd.log
LogTime yes
# Attachments are at most 10 MB by default (SPEC, config): leave room.
StreamMaxLength 64M
MaxFileSize 64M
MaxScanSize 256M
SelfCheck 0
EOF
}

start_clamd() {
    local pid clamd_bin
    if pid="$(our_pid clamd clamd)" && clamd_answers; then
        log "clamd: already running (pid $pid) on $HOST:$CLAMD_PORT"
        return 0
    fi
    if clamd_answers; then
        log "clamd: reusing the daemon already answering on $HOST:$CLAMD_PORT"
        return 0
    fi
    port_open "$CLAMD_PORT" && die "port $HOST:$CLAMD_PORT is taken by something that is not clamd"
    clamd_bin="$(command -v clamd || true)"
    [[ -n "$clamd_bin" ]] || clamd_bin=/usr/sbin/clamd
    [[ -x "$clamd_bin" ]] || die "clamd missing: run infra/scripts/setup-test-tools.sh"
    prepare_clamd
    log "clamd: starting on $HOST:$CLAMD_PORT (log .ci-work/clamd.log)"
    : >"$WORK/clamd.log"
    "$clamd_bin" -c "$WORK/clamd/clamd.conf" >>"$WORK/clamd.log" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$WORK/clamd.pid"
    wait_ready clamd clamd_answers "$pid" "$WORK/clamd.log"
    log "clamd: ready (pid $pid)"
}

# ------------------------------------------------------------ main
cmd="${1:-}"
case "$cmd" in
start)
    mkdir -p "$WORK"
    start_moto
    start_clamd
    log "EP_TEST_AWS_ENDPOINT=http://$HOST:$MOTO_PORT EP_TEST_CLAMD=$HOST:$CLAMD_PORT"
    ;;
stop)
    stop_one moto moto_server
    stop_one clamd clamd
    ;;
status)
    rc=0
    if moto_answers; then log "moto: answering on $HOST:$MOTO_PORT"; else log "moto: down"; rc=1; fi
    if clamd_answers; then log "clamd: answering on $HOST:$CLAMD_PORT"; else log "clamd: down"; rc=1; fi
    exit "$rc"
    ;;
*)
    printf 'usage: %s start|stop|status\n' "$0" >&2
    exit 2
    ;;
esac
