#!/usr/bin/env bash
# Local PostgreSQL cluster for `make run` / `make test`: our own cluster in var/postgres, never the system one.
#
#   deploy/local/postgres.sh start      # initdb once, start on 127.0.0.1:$PGPORT_SEEDBED, wait until ready
#   deploy/local/postgres.sh createdbs  # create seedbed_<svc> and seedbed_test_<svc> if missing (idempotent)
#   deploy/local/postgres.sh stop       # stop it, but only if this script started it
#   deploy/local/postgres.sh status     # exit 0 and print "running ..." or exit 3 and print "not running"
#
# Environment: PGPORT_SEEDBED (default 55432); PG_BINDIR (default: `pg_config --bindir`, else the highest
# /usr/lib/postgresql/*/bin); SEEDBED_SERVICES (default: every service of shared/catalogue.py).
# Superuser `seedbed`, trust authentication on 127.0.0.1 (local dev/test cluster only), e.g.
#   postgresql://seedbed@127.0.0.1:55432/seedbed_test_registry
# See deploy/local/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
cd "$ROOT"

PORT="${PGPORT_SEEDBED:-55432}"
HOST=127.0.0.1
SUPERUSER=seedbed
SERVICES="${SEEDBED_SERVICES:-$(python3 -m shared.catalogue names)}"

PG_HOME="$ROOT/var/postgres"
DATA_DIR="$PG_HOME/data"
LOG_DIR="$ROOT/var/log"
LOG_FILE="$LOG_DIR/postgres.log"
RUN_DIR="$ROOT/var/run"
MARKER="$RUN_DIR/postgres.started"     # present while a server started by this script runs; holds its port

say() { printf 'postgres: %s\n' "$*"; }
die() { printf 'postgres: ERROR: %s\n' "$*" >&2; exit 1; }
rel() { printf '%s' "${1#"$ROOT"/}"; }

[[ "$PORT" =~ ^[0-9]+$ ]] || die "PGPORT_SEEDBED must be a port number, got '$PORT'"

# --- binaries -------------------------------------------------------------------------------------------
find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" && -x "$d/pg_ctl" && -x "$d/initdb" ]]; then
            printf '%s\n' "$d"
            return
        fi
    fi
    d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$d" && -x "$d/pg_ctl" ]]; then
        printf '%s\n' "$d"
        return
    fi
    die "PostgreSQL server binaries not found (no pg_config, nothing in /usr/lib/postgresql/*/bin); install postgresql or set PG_BINDIR"
}
BIN="$(find_bindir)"
for tool in initdb pg_ctl pg_isready psql; do
    [[ -x "$BIN/$tool" ]] || die "$BIN/$tool not found (PostgreSQL server package incomplete?)"
done

# --- who runs the server --------------------------------------------------------------------------------
# PostgreSQL refuses to run as root. As root, the server tools run as the `postgres` OS user via runuser
# and the directories they write are handed to that user; otherwise they run as the current user.
if [[ "$(id -u)" -eq 0 ]]; then
    PG_OS_USER=postgres
    id -u "$PG_OS_USER" >/dev/null 2>&1 || die "running as root but there is no '$PG_OS_USER' OS user to run the server as"
    command -v runuser >/dev/null 2>&1 || die "running as root but 'runuser' (util-linux) is missing"
    AS_PG=(runuser -u "$PG_OS_USER" --)
else
    PG_OS_USER="$(id -un)"
    AS_PG=()
fi

# Runs a command as the server's OS user, from / (the caller's cwd may not be readable by that user).
as_pg() { (cd / && ${AS_PG[@]+"${AS_PG[@]}"} "$@"); }

# Unix socket directory. A socket path is limited to 107 bytes, so a deep checkout uses /tmp instead.
SOCKET_DIR="$PG_HOME/run"
if ((${#SOCKET_DIR} + ${#PORT} + 12 > 100)); then
    SOCKET_DIR="/tmp/seedbed-pg-$PORT"
fi

# 0: accepting connections, 1: answering but rejecting (e.g. starting up), 2: no answer.
isready() {
    local rc=0
    "$BIN/pg_isready" -q -h "$HOST" -p "$PORT" -U "$SUPERUSER" -d postgres -t 3 || rc=$?
    return "$rc"
}

# Prints the port of the server running from our data directory, or nothing if it is not running.
our_server_port() {
    [[ -f "$DATA_DIR/postmaster.pid" ]] || return 0
    if as_pg "$BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1; then
        sed -n '4p' "$DATA_DIR/postmaster.pid"
    fi
}

# --- preparation ----------------------------------------------------------------------------------------
# Give `postgres` search permission (o+x, not read) on any ancestor directory of $1 it cannot traverse,
# e.g. /root (mode 700) when the repository is cloned under it.
ensure_traversable() {
    [[ "$(id -u)" -eq 0 ]] || return 0
    local dir="" part
    local -a parts
    IFS=/ read -r -a parts <<<"${1#/}"
    for part in "${parts[@]}"; do
        [[ -n "$part" ]] || continue
        dir="$dir/$part"
        if ! as_pg test -x "$dir"; then
            say "granting search permission (chmod o+x) on $dir so that the '$PG_OS_USER' user can reach $(rel "$1")"
            chmod o+x "$dir"
        fi
    done
}

prepare_dirs() {
    mkdir -p "$PG_HOME" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR" "$SOCKET_DIR"
    chmod 755 "$ROOT/var" "$PG_HOME" "$LOG_DIR"
    touch "$LOG_FILE"
    if [[ "$(id -u)" -eq 0 ]]; then
        ensure_traversable "$PG_HOME"
        chown "$PG_OS_USER:" "$DATA_DIR" "$LOG_FILE"
        if [[ "$SOCKET_DIR" == /tmp/* && "$(stat -c %U "$SOCKET_DIR")" != "$PG_OS_USER" && "$(stat -c %U "$SOCKET_DIR")" != root ]]; then
            die "$SOCKET_DIR belongs to $(stat -c %U "$SOCKET_DIR"); remove it first"
        fi
        chown "$PG_OS_USER:" "$SOCKET_DIR"
    elif [[ ! -O "$SOCKET_DIR" ]]; then
        die "$SOCKET_DIR is not owned by $(id -un); remove it first"
    fi
    chmod 700 "$DATA_DIR"
    chmod 755 "$SOCKET_DIR"
}

pick_locale() {
    if command -v locale >/dev/null 2>&1 && locale -a 2>/dev/null | grep -qixE 'C\.UTF-?8'; then
        printf 'C.UTF-8\n'
    else
        printf 'C\n'
    fi
}

initdb_once() {
    local bin_major
    bin_major="$("$BIN/pg_ctl" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
    if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        local data_major
        data_major="$(cat "$DATA_DIR/PG_VERSION")"
        [[ "$data_major" == "$bin_major" ]] \
            || die "$(rel "$DATA_DIR") was created by PostgreSQL $data_major but the binaries in $BIN are $bin_major; reset it with: rm -rf var/postgres"
        return 0
    fi
    if [[ -n "$(ls -A "$DATA_DIR")" ]]; then
        die "$(rel "$DATA_DIR") is not empty but holds no cluster (interrupted initdb?); reset it with: rm -rf var/postgres"
    fi
    local loc
    loc="$(pick_locale)"
    say "initializing a new cluster in $(rel "$DATA_DIR") (PostgreSQL $bin_major, superuser $SUPERUSER, locale $loc)"
    printf '\n===== %s postgres.sh initdb =====\n' "$(date '+%F %T')" >>"$LOG_FILE"
    if ! as_pg "$BIN/initdb" -D "$DATA_DIR" --auth=trust --username="$SUPERUSER" --encoding=UTF8 \
            --locale="$loc" >>"$LOG_FILE" 2>&1; then
        tail -n 20 "$LOG_FILE" >&2 || true
        die "initdb failed (log: $(rel "$LOG_FILE"))"
    fi
    printf "\n# Added by deploy/local/postgres.sh: Seedbed's settings, rewritten on every start.\ninclude_if_exists = 'seedbed.conf'\n" \
        >>"$DATA_DIR/postgresql.conf"
}

write_conf() {
    local conf="$DATA_DIR/seedbed.conf"
    cat >"$conf" <<EOF
# Written by deploy/local/postgres.sh on every start; edit the script, not this file.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 300
# DEV/TEST CLUSTER ONLY: durability is switched off for speed. A crash or power loss can corrupt or lose
# data; never use these settings for data you care about (reset with: rm -rf var/postgres).
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if [[ "$(id -u)" -eq 0 ]]; then
        chown "$PG_OS_USER:" "$conf"
    fi
    chmod 600 "$conf"
}

# --- commands -------------------------------------------------------------------------------------------
cmd_start() {
    local rc=0 running_port
    running_port="$(our_server_port)"
    isready || rc=$?
    if ((rc == 0 || rc == 1)); then
        if [[ "$running_port" == "$PORT" && -f "$MARKER" ]]; then
            say "already running on $HOST:$PORT (started by this script)"
        else
            say "something already answers on $HOST:$PORT; reusing it (not started by this script, so 'stop' will leave it alone)"
            # Forget a stale marker, or one left by a start of our cluster that is no longer the server here
            # (keep it if our cluster is up on another port: then the marker still describes that one).
            if [[ -z "$running_port" || "$running_port" == "$PORT" ]]; then
                rm -f "$MARKER"
            fi
        fi
        local i
        for ((i = 0; i < 60 && rc == 1; i++)); do
            sleep 1
            rc=0
            isready || rc=$?
        done
        ((rc == 0)) || die "the server on $HOST:$PORT answers but does not accept connections"
        return 0
    fi
    if [[ -n "$running_port" ]]; then
        die "the cluster in $(rel "$DATA_DIR") is already running on port $running_port, not $PORT; stop it first"
    fi
    rm -f "$MARKER"   # stale: whatever we started is gone

    prepare_dirs
    initdb_once
    write_conf

    local t0=$SECONDS
    say "starting on $HOST:$PORT (socket dir $SOCKET_DIR), log: $(rel "$LOG_FILE")"
    printf '\n===== %s postgres.sh start =====\n' "$(date '+%F %T')" >>"$LOG_FILE"
    # 9>&-: the server must not inherit the lock (see lock below).
    if ! as_pg "$BIN/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t 90 -s 9>&-; then
        echo "----- last lines of $(rel "$LOG_FILE") -----" >&2
        tail -n 30 "$LOG_FILE" >&2 || true
        echo "-----" >&2
        die "PostgreSQL did not start on $HOST:$PORT"
    fi
    printf '%s\n' "$PORT" >"$MARKER"
    rc=0
    isready || rc=$?
    ((rc == 0)) || die "pg_ctl reports the server started, but $HOST:$PORT does not accept connections (log: $(rel "$LOG_FILE"))"
    say "ready on $HOST:$PORT ($((SECONDS - t0))s); connect with postgresql://$SUPERUSER@$HOST:$PORT/<database>"
}

cmd_stop() {
    if [[ ! -f "$MARKER" ]]; then
        say "not started by this script (no $(rel "$MARKER")); leaving any running server alone"
        return 0
    fi
    if [[ -z "$(our_server_port)" ]]; then
        say "already stopped; removing the stale marker"
        rm -f "$MARKER"
        return 0
    fi
    say "stopping the cluster in $(rel "$DATA_DIR") (fast shutdown)"
    as_pg "$BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 -s || die "pg_ctl stop failed (log: $(rel "$LOG_FILE"))"
    rm -f "$MARKER"
    say "stopped"
}

cmd_status() {
    local rc=0 running_port
    running_port="$(our_server_port)"
    if [[ -n "$running_port" && "$running_port" != "$PORT" ]]; then
        say "running: the cluster in $(rel "$DATA_DIR") runs on $HOST:$running_port (PGPORT_SEEDBED is $PORT)"
        return 0
    fi
    isready || rc=$?
    if ((rc == 0 || rc == 1)); then
        local who="not started by this script"
        if [[ "$running_port" == "$PORT" ]]; then
            if [[ -f "$MARKER" ]]; then who="started by this script"; else who="our cluster, but not started by this script"; fi
        fi
        local state=""
        ((rc == 1)) && state=", not accepting connections yet"
        say "running on $HOST:$PORT ($who$state)"
        return 0
    fi
    say "not running on $HOST:$PORT"
    return 3
}

psql_q() {
    "$BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$SUPERUSER" -d postgres "$@"
}

cmd_createdbs() {
    local rc=0
    isready || rc=$?
    ((rc == 0)) || die "no PostgreSQL accepting connections on $HOST:$PORT; run '$0 start' first"
    local svc db created=0 present=0
    for svc in $SERVICES; do
        [[ "$svc" =~ ^[a-z][a-z0-9_]*$ ]] || die "bad service name '$svc' in SEEDBED_SERVICES"
        for db in "seedbed_$svc" "seedbed_test_$svc"; do
            if [[ "$(psql_q -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" == 1 ]]; then
                present=$((present + 1))
                continue
            fi
            # A concurrent createdbs may win the race; that is fine as long as the database exists after.
            if psql_q -c "CREATE DATABASE \"$db\" OWNER \"$SUPERUSER\"" 2>/dev/null \
                || [[ "$(psql_q -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" == 1 ]]; then
                say "created database $db"
                created=$((created + 1))
            else
                psql_q -c "CREATE DATABASE \"$db\" OWNER \"$SUPERUSER\"" || true
                die "could not create database $db"
            fi
        done
    done
    say "databases ready on $HOST:$PORT ($created created, $present already there)"
}

# Serialize start/stop/createdbs (e.g. under `make -j`).
lock() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/postgres.lock"
    flock -w 300 9 || die "another postgres.sh is still busy (lock $RUN_DIR/postgres.lock)"
}

case "${1:-}" in
    start | stop | createdbs) lock ;;
esac
case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    createdbs) cmd_createdbs ;;
    *)
        echo "usage: $0 start|stop|status|createdbs" >&2
        exit 2
        ;;
esac
