#!/bin/bash
# scripts/pg.sh start DIR PORT | stop DIR | status DIR | psql DIR SQL
#
# A PostgreSQL 15 cluster of its own for tests and benches (Debian's
# /usr/lib/postgresql/15/bin): data, log and unix socket all in DIR (owned
# by the `postgres` user when run as root), listening on 127.0.0.1:PORT
# only, with a role `ecs` owning a database `ecs`. Never the system's
# cluster or port 5432: each tree picks its own DIR and PORT.
#
# start: initdb (--auth=trust: local test use only) when DIR holds no
#   cluster, starts it, waits for pg_isready, creates the role and the
#   database when missing, and prints the DSN on stdout:
#   host=127.0.0.1 port=PORT dbname=ecs user=ecs
#   Already running: prints the DSN (a different port is an error).
# stop: fast shutdown, waits until the server is gone. Not running: nothing.
# status: exit 0 and print the DSN when it runs, exit 3 when not.
# psql: one statement as the superuser (a database per test or bench run),
#   its rows unaligned on stdout.
set -Eeuo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

usage() { die "usage: $0 start DIR PORT | stop DIR | status DIR | psql DIR SQL"; }

# as_pg CMD...: run CMD as the cluster's owner (postgres refuses root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# running DIR: the postmaster of DIR answers pg_ctl status.
running() { as_pg "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

# port_of DIR: the port the running postmaster listens on (postmaster.pid
# line 4), so a second start can say which one it found.
port_of() { sed -n 4p "$1/postmaster.pid"; }

dsn() { printf 'host=127.0.0.1 port=%s dbname=ecs user=ecs\n' "$1"; }

ready() { "$PG_BIN/pg_isready" -q -h "$1" -p "$2" -d postgres -U postgres; }

# ready_or_failed DIR PORT: it answers, or its log says it gave up (the
# postmaster's pid is not known yet when pg_ctl returns: the log is).
ready_or_failed() { ready "$1" "$2" || grep -q 'database system is shut down' "$1/server.log"; }

# psql_c DIR PORT SQL: one statement as the superuser, over the socket.
psql_c() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$1" -p "$2" -U postgres -d postgres -tAc "$3"
}

cmd_start() {
	local dir=$1 port=$2 have
	case $port in '' | *[!0-9]*) die "PORT must be a number, not '$port'" ;; esac
	[ "$port" != 5432 ] || die "5432 is the system cluster's port: pick another"
	if running "$dir"; then
		have=$(port_of "$dir")
		[ "$have" = "$port" ] || die "$dir already runs on port $have, not $port"
		dsn "$port"
		return 0
	fi
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$dir"
		chmod 0700 "$dir"
	fi
	if [ ! -s "$dir/PG_VERSION" ]; then
		as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
			>"$dir.initdb.log" 2>&1 || { cat "$dir.initdb.log" >&2; die "initdb $dir failed"; }
		rm -f "$dir.initdb.log"
	fi
	# -W: do not wait here; readiness is pg_isready's below. The log is in
	# DIR so the cluster's owner can write it; one start's lines only.
	[ ! -e "$dir/server.log" ] || : >"$dir/server.log"
	as_pg "$PG_BIN/pg_ctl" start -W -D "$dir" -l "$dir/server.log" \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1" >/dev/null 9>&-
	# (a server that exits at once, say the port is taken, ends the wait)
	wait_for 60 ready_or_failed "$dir" "$port" || true
	if ! ready "$dir" "$port"; then
		tail -n 20 "$dir/server.log" >&2 || true
		die "PostgreSQL in $dir is not ready on port $port"
	fi
	if [ "$(psql_c "$dir" "$port" "SELECT 1 FROM pg_roles WHERE rolname = 'ecs'")" != 1 ]; then
		psql_c "$dir" "$port" "CREATE ROLE ecs LOGIN"
	fi
	if [ "$(psql_c "$dir" "$port" "SELECT 1 FROM pg_database WHERE datname = 'ecs'")" != 1 ]; then
		psql_c "$dir" "$port" "CREATE DATABASE ecs OWNER ecs"
	fi
	dsn "$port"
}

cmd_stop() {
	local dir=$1
	running "$dir" || return 0
	as_pg "$PG_BIN/pg_ctl" stop -D "$dir" -m fast -w -t 60 >/dev/null
}

cmd_psql() {
	running "$1" || die "no PostgreSQL runs in $1"
	psql_c "$1" "$(port_of "$1")" "$2"
}

cmd_status() {
	local dir=$1
	running "$dir" || return 3
	dsn "$(port_of "$dir")"
}

# The socket directory goes to the server as given: make it absolute.
case ${1:-} in
start) [ $# = 3 ] || usage; cmd_start "$(readlink -m "$2")" "$3" ;;
stop) [ $# = 2 ] || usage; cmd_stop "$(readlink -m "$2")" ;;
status) [ $# = 2 ] || usage; cmd_status "$(readlink -m "$2")" ;;
psql) [ $# = 3 ] || usage; cmd_psql "$(readlink -m "$2")" "$3" ;;
*) usage ;;
esac
