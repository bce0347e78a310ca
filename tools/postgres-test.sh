#!/bin/sh
# A throwaway PostgreSQL server for tests, listening on 127.0.0.1 only.
#
#   tools/postgres-test.sh install      installs Debian's `postgresql` if `initdb` is missing
#                                       (apt-get, as root; serialized with a lock)
#   tools/postgres-test.sh start DIR    starts a server whose data, socket and log are under DIR
#                                       (created if missing) on a free port; prints its URL,
#                                       postgres://postgres@127.0.0.1:PORT/postgres
#   tools/postgres-test.sh stop DIR     stops it at once (the data is thrown away with DIR)
#
# As root (CI), the server runs as the `postgres` user, which owns DIR. A fresh data directory
# is copied from a template made once per machine (initdb is the slow part), kept under
# ${TMPDIR:-/tmp}. The server is tuned for tests: no fsync, trust authentication, loopback only.
set -eu

lock_dir=${TMPDIR:-/tmp}
as_root=false
[ "$(id -u)" -eq 0 ] && as_root=true

die() {
    echo "postgres-test: $*" >&2
    exit 1
}

# The directory holding initdb and pg_ctl: from PATH, else Debian's newest versioned one.
find_bin() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install() {
    if find_bin >/dev/null; then
        return 0
    fi
    $as_root || die "initdb not found: install PostgreSQL (Debian: apt-get install postgresql) or run as root"
    command -v flock >/dev/null 2>&1 || die "flock not found"
    (
        flock 9
        if ! find_bin >/dev/null; then
            echo "postgres-test: installing Debian's postgresql" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >&2
            apt-get install -y -qq --no-install-recommends postgresql >&2
        fi
    ) 9>"$lock_dir/nxtp-postgres-install.lock"
    find_bin >/dev/null || die "postgresql installed but initdb still not found"
}

# Runs a command as the server's user.
as_pg() {
    if $as_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A data directory made by initdb once, copied for each server.
template() {
    bin=$1
    version=$("$bin/initdb" --version | tr -cd '0-9.')
    owner=$(id -un)
    $as_root && owner=postgres
    dir="$lock_dir/nxtp-postgres-template-$version-$owner"
    (
        flock 9
        if [ ! -f "$dir/ready" ]; then
            rm -rf "$dir"
            mkdir -p "$dir"
            $as_root && chown postgres "$dir"
            as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
            as_pg touch "$dir/ready"
        fi
    ) 9>"$lock_dir/nxtp-postgres-template.lock"
    echo "$dir/data"
}

start() {
    dir=$1
    install
    bin=$(find_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    $as_root && chown postgres "$dir"
    data=$(template "$bin")
    as_pg cp -a "$data" "$dir/data"
    # A port picked here may be taken before the server binds it: try a few.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            echo "postgres://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
        echo "postgres-test: start attempt $attempt failed:" >&2
        tail -n 5 "$dir/log" >&2 || true
    done
    die "could not start a server in $dir"
}

stop() {
    dir=$1
    [ -d "$dir/data" ] || return 0
    bin=$(find_bin) || return 0
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
install) install ;;
start)
    [ $# -eq 2 ] || die "usage: $0 start DIR"
    start "$2"
    ;;
stop)
    [ $# -eq 2 ] || die "usage: $0 stop DIR"
    stop "$2"
    ;;
*) die "usage: $0 install | start DIR | stop DIR" ;;
esac
