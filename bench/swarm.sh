#!/bin/bash
# bench/swarm.sh — the Swarm backend (`backend = swarm`) against the local
# cold path (`backend = local`), in the same run, on the multi-node fixture
# (t/swarm/). Measures, never asserts; not part of ./bootstrap test. Root only.
#
# It uses the running fixture (or starts one and stops it at the end) and
# starts three stacks (nginx + ecs-fcgi, scripts/stack.sh) on its own ports:
#   local          backend = local on node 1's engine: a fresh container per task
#   swarm          backend = swarm on node 1, the manager: a service per task,
#                  network "none" (the internal overlay ecs-isolated)
#   swarm-bridge   the same with default_network = bridge (each node's own
#                  bridge): what the isolated overlay costs
# For each level it sends COUNT `echo hello world` tasks to each with
# bench/loadgen.py (the order rotates level by level) and prints tasks/s and
# p50/p95 per target, and each swarm target's p50 minus local's: what Swarm
# costs per task.
#
# Usage: bench/swarm.sh      (after ./bootstrap up)
# Environment: LEVELS="1 6"  COUNT=12  LEVEL_TIME=120  REQUEST_TIMEOUT=90
#              BENCH_PORT=8596 (9 ports from it)  SWARM_JSON=FILE (raw results)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=t/swarm/lib.sh
. "$ROOT/t/swarm/lib.sh"
LEVELS=${LEVELS:-1 6}
COUNT=${COUNT:-12}
LEVEL_TIME=${LEVEL_TIME:-120}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-90}
BENCH_PORT=${BENCH_PORT:-8596}
DIR=$SW_DIR/swarm-bench
TARGETS="local swarm swarm-bridge"
STACK=$ROOT/scripts/stack.sh

say() { echo "swarm-bench: $*" >&2; }

port_of() { # port_of TARGET: its HTTPS port (redirect +1, probe +2)
	case $1 in local) echo "$BENCH_PORT" ;; swarm) echo $((BENCH_PORT + 3)) ;; *) echo $((BENCH_PORT + 6)) ;; esac
}
stack() { # stack TARGET start|stop
	local p
	p=$(port_of "$1")
	ECS_RUN=$DIR/$1 ECS_CONFIG=$DIR/$1/base.conf ECS_HTTPS_LISTEN=127.0.0.1:$p \
		ECS_REDIRECT_LISTEN=127.0.0.1:$((p + 1)) ECS_HEALTH_LISTEN=127.0.0.1:$((p + 2)) \
		ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
		ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
		"$STACK" "$2"
}
services() { swd 1 service ls -q --filter label=ecs.managed=true 2>/dev/null; }
cleanup() {
	local t s n
	for t in $TARGETS; do [ -d "$DIR/$t" ] && stack "$t" stop 2>/dev/null; done
	s=$(services)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$s" ] || swd 1 service rm $s >/dev/null 2>&1
	for n in $SW_NODES; do
		s=$(sw_managed_ids "$n")
		# shellcheck disable=SC2086
		[ -z "$s" ] || swd "$n" rm -f $s >/dev/null 2>&1
	done
	rm -rf "$DIR"
	sw_release_fixture
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sw_use_fixture || exit 1
mkdir -p "$DIR"
# One set of credentials for all three stacks (as the fleet's nodes share theirs).
"$ROOT/scripts/make-certs.sh" demo "$DIR/certs" >/dev/null
(umask 077 && openssl rand -hex 16 >"$DIR/basic.secret")
for t in $TARGETS; do
	mkdir -p "$DIR/$t"
	cp -a "$DIR/certs" "$DIR/basic.secret" "$DIR/$t/"
	{
		echo "[ecs]"
		echo "docker_remote_api = unix://$(sw_sock 1)"
		echo "pull_policy = never"
		case $t in
		local) echo "backend = local"; echo "default_network = none" ;;
		swarm) echo "backend = swarm"; echo "default_network = none" ;;
		*) echo "backend = swarm"; echo "default_network = bridge" ;;
		esac
	} >"$DIR/$t/base.conf"
	stack "$t" start 2>"$DIR/$t/stack-start.log" || { tail -n 20 "$DIR/$t/stack-start.log" >&2; exit 1; }
done
# shellcheck source=/dev/null
. "$DIR/local/ecs.env"

gen() { # gen TARGET ARGS...: one loadgen run, its JSON tagged with TARGET
	local t=$1
	shift
	python3 "$ROOT/bench/loadgen.py" ecs --endpoint "https://127.0.0.1:$(port_of "$t")" --ca "$ECS_CA_CERT" \
		--cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" --user "$ECS_KEY:$ECS_SECRET" \
		--image "$SW_IMAGE" --request-timeout "$REQUEST_TIMEOUT" "$@" |
		python3 -c 'import json, sys; r = json.load(sys.stdin); r["target"] = sys.argv[1]; print(json.dumps(r))' "$t"
}
# The reaper removes after each answer: nothing of the last target may load the next.
none_left() {
	local n
	[ -z "$(services)" ] || return 1
	for n in $SW_NODES; do [ -z "$(sw_managed_ids "$n")" ] || return 1; done
}
drain() { wait_for 90 none_left || true; }

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); levels: $LEVELS; $COUNT tasks per level and target"
for t in $TARGETS; do gen "$t" --concurrency 2 --count 2 --time-limit 60 >/dev/null; done # warm-up (makes ecs-isolated)
drain
out=$DIR/results.jsonl
: >"$out"
order=$TARGETS
for level in $LEVELS; do
	for t in $order; do
		say "level $level: $t (load average $(cut -d' ' -f1 /proc/loadavg))"
		gen "$t" --concurrency "$level" --count "$COUNT" --time-limit "$LEVEL_TIME" >>"$out"
		drain
	done
	# shellcheck disable=SC2086
	order=$(echo $order | awk '{ for (i = 2; i <= NF; i++) printf "%s ", $i; print $1 }')
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "${SWARM_JSON:-}" ] || cp "$out" "$SWARM_JSON"

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["target"], r["level"]): r for r in rows}
f = lambda v: "-" if v is None else "%.0f" % v
print("| clients | target | tasks/s | p50 ms | p95 ms | p50 minus local's | errors |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for lv in sorted({k[1] for k in by}):
    base = by.get(("local", lv))
    for t in ("local", "swarm", "swarm-bridge"):
        r = by.get((t, lv))
        if not r:
            continue
        extra = "-" if t == "local" or not base or r["p50_ms"] is None or base["p50_ms"] is None \
            else "+%.0f ms" % (r["p50_ms"] - base["p50_ms"])
        print("| %d | %s | %.2f | %s | %s | %s | %d / %d |" % (lv, t, r["tasks_per_s"], f(r["p50_ms"]), f(r["p95_ms"]),
              extra, r["errors"], r["sent"]))
PY
