#!/bin/sh
# bench/run.sh — every figure of issue 21 in one table, each beside the
# engine's reference measured in the same run, on stacks of its own (one
# after another, on the same ports). Measures, asserts nothing; not part of
# ./bootstrap test. As root or a docker-group user, after ./bootstrap up.
#
# What it runs (each bench's own output goes to stderr as it comes; the
# table goes to stdout at the end):
#   pooled, cold   bench/pool.sh ROUNDS: pooled and cold tasks through nginx
#                  + TLS, interleaved with the bare engine's sequence (create,
#                  start, wait, logs) and `docker run --rm`; a burst of 8
#   cold, same config   bench/cbench.sh -n ROUNDS (task_overhead, in
#                  process): ecs_task_run against libecs's bare container
#                  calls on the same engine, interleaved
#   throughput     bench/load.sh at 8 and 16 clients, ecs against the engine's
#                  own (bench/loadgen.py, libecs's HostConfig), twice: with
#                  pooling off (cold) and with a fixed pool of 16 (pooled);
#                  pooled against the refill ceiling too (loadgen.py churn:
#                  the engine creating, starting and deleting containers of
#                  the same confinement at pool_refill_concurrency 2)
#   Swarm          bench/swarm.sh, only when the multi-node fixture is up
#                  (t/swarm/fixture.sh status) and BENCH_SWARM is not 0; it
#                  uses the fixture, never starts one here
#   memory         bench/mem.sh: ecs-fcgi's RSS, PSS, private memory, threads
#                  and fds, idle after start and after 100 tasks
#
# Usage: bench/run.sh [ROUNDS]   (default 30: the cold ratio needs them)
# Environment: ECS_BENCH_PORT (default 9230; it and the next two),
#   BENCH_SWARM=auto|0, BENCH_COUNT (tasks per cold throughput level and round, default 24),
#   BENCH_LOAD_ROUNDS (interleaved rounds per throughput level, default 6),
#   BENCH_POOLED_COUNT (the same, pooled; default 64),
#   BENCH_ONLY="pool cbench cold pooled swarm mem" (a subset, for trying it)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-30}
port=${ECS_BENCH_PORT:-9230}
only=${BENCH_ONLY:-pool cbench cold pooled swarm mem}
work=$(mktemp -d "${TMPDIR:-/tmp}/ecs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
say() { echo "bench/run.sh: $*" >&2; }
want() { case " $only " in *" $1 "*) return 0 ;; esac; return 1; }
load() { cut -d' ' -f1 /proc/loadavg; }
# a section: its name, the load average before and after, its output kept for the table
section() {
	name=$1
	shift
	say "$name: $* (load $(load))"
	echo "load_before $(load)" >"$work/$name.load"
	"$@" >"$work/$name.out" 2>"$work/$name.err" || say "$name: exit $? (its stderr: $work/$name.err)"
	echo "load_after $(load)" >>"$work/$name.load"
	cat "$work/$name.out" >&2
}
# a base config: the packaged one without its pool examples, then LINES in [ecs]
conf() {
	{
		sed '/^#\[pool/,$d' "$src/packaging/ecs.conf"
		echo "[ecs]"
		printf '%s\n' "$@"
	} | awk '/^\[ecs\]$/ { if (seen++) next } { print }'
}

date_run=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(sed -n "s/^model name[^:]*: //p" /proc/cpuinfo | head -n 1), $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
want pool && ECS_BENCH_PORT=$port section pool "$src/bench/pool.sh" "$rounds"
want cbench && section cbench "$src/bench/cbench.sh" "$src/build" -n "$rounds" -a "$src/build/agent/ecs-agent"
if want cold; then
	conf "pool_budget = 0" >"$work/cold.conf"
	ECS_CONFIG=$work/cold.conf LOAD_PORT=$port LEVELS="8 16" ROUNDS=${BENCH_LOAD_ROUNDS:-6} COUNT=${BENCH_COUNT:-24} LOAD_JSON=$work/cold.jsonl \
		section cold "$src/bench/load.sh"
fi
if want pooled; then
	conf "pool_adaptive = no" "pool_budget = 16" "pool_refill_concurrency = 2" '[pool "ecs/busybox:latest"]' "size = 16" \
		>"$work/pooled.conf"
	# 64 a round, four times the pool: what is measured is the pool refilled as it serves, not its stock
	ECS_CONFIG=$work/pooled.conf LOAD_PORT=$port LEVELS="8 16" ROUNDS=${BENCH_LOAD_ROUNDS:-6} COUNT=${BENCH_POOLED_COUNT:-64} \
		LOAD_JSON=$work/pooled.jsonl \
		section pooled "$src/bench/load.sh"
	# the refill ceiling: the engine turning containers of the same confinement over (create, start,
	# delete) at the pool's refill concurrency, as many rounds as the pooled levels
	for r in $(seq "${BENCH_LOAD_ROUNDS:-6}"); do
		python3 "$src/bench/loadgen.py" churn --concurrency 2 --count "${BENCH_COUNT:-24}" --time-limit 60 \
			--label "ecs.bench=churn-$$" >>"$work/ceiling.jsonl" 2>>"$work/ceiling.err" || say "ceiling: round $r failed"
	done
	ids=$(docker ps -aq --filter "label=ecs.bench=churn-$$" 2>/dev/null || true)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
fi
if want swarm; then
	if [ "${BENCH_SWARM:-auto}" = 0 ]; then
		echo "skipped: BENCH_SWARM=0" >"$work/swarm.skip"
	elif ! "$src/t/swarm/fixture.sh" status >/dev/null 2>&1; then
		echo "skipped: the multi-node fixture is not up (t/swarm/fixture.sh start, as root, then rerun)" >"$work/swarm.skip"
	else
		section swarm "$src/bench/swarm.sh"
	fi
	[ ! -f "$work/swarm.skip" ] || say "Swarm $(cat "$work/swarm.skip")"
fi
want mem && ECS_BENCH_PORT=$port section mem "$src/bench/mem.sh" 100 4
python3 "$src/bench/run_table.py" "$work" "$date_run" "$machine" "$rounds"
