#!/bin/sh
# Async benchmark (issue 18), with the task store on SQLite and on
# PostgreSQL, interleaved (each round runs its batches in an order that
# alternates from round to round), each batch on a fresh stack
# (bench/stack.sh: a warm pool of C for the task's key) and a fresh store
# (a new SQLite file; a new database in a PostgreSQL cluster of the
# bench's own, scripts/pg.sh):
#   submit  N async submissions from C concurrent clients on a node that
#           runs none of them (async_workers = 0): the 202's latency, p50
#           and p99: what intake and the store cost a submission
#   async   D async submissions, then the queue's drain (async_workers = C):
#           its rate, and the submissions' latency while it drains
#   sync    the same D tasks answered synchronously by C clients: the rate
#           the drain is compared with
# Prints a markdown table with the ratios. Measures; asserts nothing but
# that every task succeeded. The task is busybox `echo` (the pool's key):
# a drain is bounded by the engine, so D can be smaller than N.
#   bench/async.sh [N] [C] [ROUNDS] [D]      (defaults 1000 16 1 N)
# Ports: ECS_BENCH_PORT (default 9230..9232) for the stack,
# ECS_BENCH_PG_PORT (default 5450) for PostgreSQL.
# Auth: ECS_BENCH_AUTH (default client-cert, the packaged default): with
# client-cert+basic, nginx checks the BASIC password's SHA-512 crypt on
# every request, about 4 ms of CPU each, and the bench measures that.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/stack.sh"
N=${1:-1000}
C=${2:-16}
ROUNDS=${3:-1}
D=${4:-$N}
PORT=${ECS_BENCH_PORT:-9230}
PG_PORT=${ECS_BENCH_PG_PORT:-5450}

work=$(mktemp -d)
chmod 755 "$work" # (the cluster's owner, postgres, goes through it)
cleanup() {
	[ ! -d "$work/run" ] || bench_stack_stop "$work/run"
	"$src/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The load's client, in C (bench/async_client.c): see bench/async.py.
# shellcheck disable=SC2046 # pkg-config's flags are words
${CC:-cc} -O2 -Wall -Wextra -Werror -std=gnu11 -o "$work/async_client" "$src/bench/async_client.c" \
	$(pkg-config --cflags --libs libcurl)
export ECS_BENCH_CLIENT="$work/async_client"
export ECS_AUTH="${ECS_BENCH_AUTH:-client-cert}"
dsn=$("$src/scripts/pg.sh" start "$work/pg" "$PG_PORT")

# batch ROUND STORE MODE: one batch on a fresh stack and store; its JSON
# line (bench/async.py) with the store and round added goes to
# results.jsonl.
batch() {
	count=$D workers=$C
	[ "$3" != submit ] || { count=$N; workers=0; }
	lines="async_workers = $workers
queue_max = $((count * 2))
max_client_queued = $((count * 2))"
	if [ "$2" = postgresql ]; then
		"$src/scripts/pg.sh" psql "$work/pg" "CREATE DATABASE ecs_$1_$3 OWNER ecs" >/dev/null
		lines="$lines
store = postgresql
store_dsn = ${dsn%dbname=ecs user=ecs}dbname=ecs_$1_$3 user=ecs"
	fi
	mkdir -p "$work/run"
	bench_stack_start "$work/run" "$C" "$PORT" "$lines"
	python3 "$src/bench/async.py" "$work/run/ecs.env" warm "$C" "$C" -
	python3 "$src/bench/async.py" "$work/run/ecs.env" "$3" "$count" "$C" "r$1-$2-$3" |
		sed "s/^{/{\"store\": \"$2\", \"round\": $1, /" >>"$work/results.jsonl"
	bench_stack_stop "$work/run"
	rm -rf "$work/run"
	echo "bench/async.sh: $(tail -n 1 "$work/results.jsonl")" >&2
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then
		order="sqlite postgresql"
	else
		order="postgresql sqlite"
	fi
	for mode in submit async sync; do
		for store in $order; do batch "$r" "$store" "$mode"; done
		# (the next mode starts with the other store)
		order=$(echo "$order" | awk '{ print $2, $1 }')
	done
	r=$((r + 1))
done
python3 "$src/bench/async_report.py" "$work/results.jsonl"
