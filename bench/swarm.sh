#!/bin/bash
# bench/swarm.sh — the Swarm backend (`backend = swarm`) against its floor, a
# service made, waited for and its logs read by the engine API alone
# (bench/swarm_floor.py, no ecs code), and against the local path, all in the
# same run, on the multi-node fixture (t/swarm/). Measures, never asserts;
# not part of ./bootstrap test. Root only.
#
# It uses the running fixture (or starts one and stops it at the end) and
# starts two stacks (nginx + ecs-fcgi, scripts/stack.sh) on its own ports:
#   local   backend = local on node 1's engine (its default warm pool: the
#           pooled path when the pool has a container ready)
#   swarm   backend = swarm on node 1, the manager: a service per task,
#           network "none" (the internal overlay ecs-isolated)
# and a third target without a stack:
#   floor   bench/swarm_floor.py on node 1's socket: the same task as a
#           service with the task template of a service ecs made (taken in
#           the warm-up: the same image, profile, ecs-isolated network and
#           log driver), its task polled every FLOOR_POLL_MS, its logs read,
#           the service removed after the latency is taken
# One client: ROUNDS rounds of one `echo hello world` task per target, the
# order rotating round by round, so that the machine's load falls on all
# three alike; it prints p50/p95 per target, swarm's p50 minus the floor's
# (the target: at most 200 ms) and the floor's own phases. Then, for each
# of LEVELS (clients at once), COUNT tasks to local and swarm
# (bench/loadgen.py): tasks/s and p50/p95.
#
# Usage: bench/swarm.sh      (after ./bootstrap up)
# Environment: ROUNDS=20  LEVELS="6" (empty: none)  COUNT=12  LEVEL_TIME=120
#              REQUEST_TIMEOUT=90  FLOOR_POLL_MS=10  BENCH_PORT=8596 (6 ports
#              from it)  SWARM_JSON=FILE (raw results, one JSON a line)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=t/swarm/lib.sh
. "$ROOT/t/swarm/lib.sh"
ROUNDS=${ROUNDS:-20}
LEVELS=${LEVELS-6}
COUNT=${COUNT:-12}
LEVEL_TIME=${LEVEL_TIME:-120}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-90}
FLOOR_POLL_MS=${FLOOR_POLL_MS:-10}
BENCH_PORT=${BENCH_PORT:-8596}
DIR=$SW_DIR/swarm-bench
STACKS="local swarm"
STACK=$ROOT/scripts/stack.sh
# What the floor's services carry (and the cleanup finds them by).
FLOOR_LABEL=ecs.bench=swarm-floor
SPEC=$DIR/ecs-spec.json

say() { echo "swarm-bench: $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

port_of() { # port_of TARGET: its HTTPS port (redirect +1, probe +2)
	case $1 in local) echo "$BENCH_PORT" ;; *) echo $((BENCH_PORT + 3)) ;; esac
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
services() { swd 1 service ls -q --filter "label=$1" 2>/dev/null; }
# Containers of finished tasks on node N: ecs's, but not the local stack's
# idle warm containers (running, labelled ecs.pool), which stay until it stops.
leftovers() {
	swd "$1" ps -a --no-trunc --filter label=ecs.managed=true \
		--format '{{.ID}} {{.State}} {{.Label "ecs.pool"}}' 2>/dev/null |
		awk '!($2 == "running" && $3 != "") { print $1 }'
}
cleanup() {
	local t s n
	for t in $STACKS; do [ -d "$DIR/$t" ] && stack "$t" stop 2>/dev/null; done
	s="$(services ecs.managed=true) $(services "$FLOOR_LABEL")"
	# shellcheck disable=SC2086 # one id per word
	[ -z "${s// /}" ] || swd 1 service rm $s >/dev/null 2>&1
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
# One set of credentials for both stacks (as the fleet's nodes share theirs).
"$ROOT/scripts/make-certs.sh" demo "$DIR/certs" >/dev/null
(umask 077 && openssl rand -hex 16 >"$DIR/basic.secret")
for t in $STACKS; do
	mkdir -p "$DIR/$t"
	cp -a "$DIR/certs" "$DIR/basic.secret" "$DIR/$t/"
	{
		echo "[ecs]"
		echo "docker_remote_api = unix://$(sw_sock 1)"
		echo "pull_policy = never"
		echo "backend = $t"
		echo "default_network = none"
	} >"$DIR/$t/base.conf"
	stack "$t" start 2>"$DIR/$t/stack-start.log" || { tail -n 20 "$DIR/$t/stack-start.log" >&2; exit 1; }
done
# shellcheck source=/dev/null
. "$DIR/local/ecs.env"
IMAGE_ID=$(swd 1 image inspect -f '{{.Id}}' "$SW_IMAGE") || { say "no $SW_IMAGE on node 1"; exit 1; }

gen() { # gen TARGET ARGS...: one run, its JSON tagged with TARGET
	local t=$1
	shift
	if [ "$t" = floor ]; then
		[ ! -s "$SPEC" ] || set -- --spec "$SPEC" "$@"
		python3 "$ROOT/bench/swarm_floor.py" --socket "$(sw_sock 1)" --image "$IMAGE_ID" \
			--network "$SW_ISOLATED" --poll-ms "$FLOOR_POLL_MS" --label "$FLOOR_LABEL" "$@"
	else
		python3 "$ROOT/bench/loadgen.py" ecs --endpoint "https://127.0.0.1:$(port_of "$t")" --ca "$ECS_CA_CERT" \
			--cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" --user "$ECS_KEY:$ECS_SECRET" \
			--image "$SW_IMAGE" --request-timeout "$REQUEST_TIMEOUT" "$@"
	fi | python3 -c 'import json, sys; r = json.load(sys.stdin); r["target"] = sys.argv[1]; print(json.dumps(r))' "$t"
}
# The reaper removes after each answer: nothing of the last target may load the next.
none_left() {
	local n
	[ -z "$(services ecs.managed=true)" ] && [ -z "$(services "$FLOOR_LABEL")" ] || return 1
	for n in $SW_NODES; do [ -z "$(leftovers "$n")" ] || return 1; done
}
drain() { wait_for 90 none_left || say "timed out after 90s waiting for services and containers to be removed"; }

# The floor runs ecs's own task template (image, profile, network, log
# driver), taken from a service the swarm stack makes in the warm-up.
spec_taken() {
	local id
	id=$(services ecs.managed=true | head -n 1)
	[ -n "$id" ] && swd 1 service inspect -f '{{json .Spec}}' "$id" >"$SPEC.part" 2>/dev/null && mv "$SPEC.part" "$SPEC"
}
SW_ISOLATED=ecs-isolated
say "load average before: $(load); $ROUNDS rounds of one task per target; levels: ${LEVELS:-none}, $COUNT tasks each"
# Warm-up: the swarm stack makes ecs-isolated (the floor then uses it), the local pool fills.
gen local --concurrency 1 --count 2 --time-limit 60 >/dev/null
wait_for 120 spec_taken &
taking=$!
gen swarm --concurrency 1 --count 2 --time-limit 60 >/dev/null
if wait "$taking"; then
	say "the floor runs the task template of ecs's service ($SPEC)"
else
	say "no service of ecs seen: the floor runs a bare task template on $SW_ISOLATED"
fi
gen floor --concurrency 1 --count 1 --time-limit 60 >/dev/null
drain
out=$DIR/results.jsonl
: >"$out"
order="local swarm floor"
for r in $(seq 1 "$ROUNDS"); do
	for t in $order; do
		gen "$t" --concurrency 1 --count 1 --time-limit "$LEVEL_TIME" |
			python3 -c 'import json, sys; r = json.load(sys.stdin); r["round"] = int(sys.argv[1]); r["load"] = float(sys.argv[2]); print(json.dumps(r))' \
				"$r" "$(cut -d' ' -f1 /proc/loadavg)" >>"$out"
		drain
	done
	# shellcheck disable=SC2086
	order=$(echo $order | awk '{ for (i = 2; i <= NF; i++) printf "%s ", $i; print $1 }')
done
say "rounds done (load average $(load))"
for level in $LEVELS; do
	for t in $STACKS; do
		say "level $level: $t (load average $(load))"
		gen "$t" --concurrency "$level" --count "$COUNT" --time-limit "$LEVEL_TIME" >>"$out"
		drain
	done
done
say "load average after: $(load)"
[ -z "${SWARM_JSON:-}" ] || cp "$out" "$SWARM_JSON"

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def pct(v, p):
    v = sorted(x for x in v if x is not None)
    return v[max(1, min(len(v), int(-(-p * len(v) // 100)))) - 1] if v else None
f = lambda v: "-" if v is None else "%.0f" % v
one = [r for r in rows if "round" in r]
loads = [r["load"] for r in one]
print("One client, %d rounds interleaved (load average %.1f-%.1f):" % (max([r["round"] for r in one] or [0]),
      min(loads or [0]), max(loads or [0])))
print("| target | p50 ms | p95 ms | ok / sent |")
print("| --- | --- | --- | --- |")
p50 = {}
for t in ("local", "swarm", "floor"):
    rs = [r for r in one if r["target"] == t]
    p50[t] = pct([r["p50_ms"] for r in rs], 50)
    print("| %s | %s | %s | %d / %d |" % (t, f(p50[t]), f(pct([r["p50_ms"] for r in rs], 95)),
          sum(r["ok"] for r in rs), sum(r["sent"] for r in rs)))
if p50["swarm"] is not None and p50["floor"]:
    print("swarm p50 minus the floor's: %+.0f ms (target: at most +200 ms); ratio %.2f" %
          (p50["swarm"] - p50["floor"], p50["swarm"] / p50["floor"]))
# Each round's swarm minus the same round's floor: the machine's load drifts less within a round.
rd = {}
for r in one:
    rd.setdefault(r["round"], {})[r["target"]] = r["p50_ms"]
diff = [v["swarm"] - v["floor"] for v in rd.values() if v.get("swarm") is not None and v.get("floor") is not None]
if diff:
    print("per round, swarm minus the floor: median %+.0f ms (%s)" % (pct(diff, 50), " ".join("%+.0f" % d for d in diff)))
fl = [r for r in one if r["target"] == "floor"]
print("floor phases, p50 ms from the create sent: " + ", ".join(
    "%s %s" % (k, f(pct([r.get("phase_p50_ms_" + k) for r in fl], 50)))
    for k in ("created", "scheduled", "running", "exited", "logs")) +
    "; removal %s ms (after the latency)" % f(pct([r.get("phase_p50_ms_removed") for r in fl], 50)))
lv = [r for r in rows if "round" not in r]
if lv:
    print()
    print("| clients | target | tasks/s | p50 ms | p95 ms | errors |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in sorted(lv, key=lambda r: (r["level"], r["target"])):
        print("| %d | %s | %.2f | %s | %s | %d / %d |" % (r["level"], r["target"], r["tasks_per_s"], f(r["p50_ms"]),
              f(r["p95_ms"]), r["errors"], r["sent"]))
PY
