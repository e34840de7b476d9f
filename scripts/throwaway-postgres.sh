#!/usr/bin/env bash
# Starts or stops a disposable PostgreSQL cluster for tests.
#   scripts/throwaway-postgres.sh start DIR PORT [PASSWORD]   prints the server's connection string on stdout
#   scripts/throwaway-postgres.sh stop DIR
# The user `postgres` gets PASSWORD, else THROWAWAY_POSTGRES_PASSWORD, else a random one.
# The cluster listens on 127.0.0.1 only, trusts nothing (scram-sha-256) and runs with fsync off: it is for tests.
set -euo pipefail

find_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ]; then
    echo "PostgreSQL server binaries not found: install them (Debian: apt-get install -y postgresql)." >&2
    exit 1
  fi
  echo "$dir"
}

# As root, the server must run as an unprivileged user.
as_owner() {
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR PORT [PASSWORD] | stop DIR" >&2; exit 2; }
bin=$(find_bin)

case "$cmd" in
  start)
    port=${3:?usage: $0 start DIR PORT [PASSWORD]}
    password=${4:-${THROWAWAY_POSTGRES_PASSWORD:-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}}
    case "$password" in
      *[!A-Za-z0-9._-]*) echo "the password may hold only letters, digits, '.', '_' and '-'" >&2; exit 2 ;;
    esac
    mkdir -p "$dir"
    [ "$(id -u)" = "0" ] && chown postgres "$dir"
    pwfile="$dir/.pw"
    as_owner bash -c "umask 077; printf '%s' '$password' > '$pwfile'"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-host=scram-sha-256 --auth-local=trust \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner rm -f "$pwfile"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    "$bin/pg_isready" -h 127.0.0.1 -p "$port" -t 30 >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start DIR PORT [PASSWORD] | stop DIR" >&2; exit 2 ;;
esac
