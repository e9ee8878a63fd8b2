#!/bin/bash
# bench/fleet.sh — the fleet of three nodes behind HAProxy (layer 4) against
# one node alone, in the same run, on the multi-node fixture (t/swarm/).
# Measures, never asserts; not part of ./bootstrap test. Root only.
#
# It uses the running fixture (or starts one and stops it at the end),
# starts the fleet of t/swarm/fleet_lib.sh on its own ports (FLEET_PORT,
# default 8585: HAProxy 8585, the nodes 8586-8594), and for each level sends
# COUNT `echo hello world` tasks ("network": "none") with bench/loadgen.py:
#   node1  straight to node 1's nginx (one engine);
#   fleet  through HAProxy, which spreads them over the three nodes
# (the two alternate which goes first, level by level), then prints tasks/s
# and p50/p95 for both and the ratio fleet/node1.
#
# What it measures on ONE machine: the three nodes share its cores, so the
# fleet cannot be faster than the machine; the number says what HAProxy and
# three engines cost or gain there, not how a fleet of real hosts scales
# (that is N x one node's throughput, as nodes share nothing).
#
# Usage: bench/fleet.sh      (after ./bootstrap up)
# Environment: LEVELS="1 6 12"  COUNT=36  LEVEL_TIME=90  REQUEST_TIMEOUT=60
#              FLEET_PORT=8585  FLEET_JSON=FILE (also write the raw results)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=t/swarm/lib.sh
. "$ROOT/t/swarm/lib.sh"
FLEET_PORT=${FLEET_PORT:-8585}
FLEET_DIR=$SW_DIR/fleet-bench
# shellcheck source=t/swarm/fleet_lib.sh
. "$ROOT/t/swarm/fleet_lib.sh"
LEVELS=${LEVELS:-1 6 12}
COUNT=${COUNT:-36}
LEVEL_TIME=${LEVEL_TIME:-90}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-60}

say() { echo "fleet: $*" >&2; }
cleanup() {
	fleet_stop
	n=$(fleet_remove_managed)
	[ "$n" = 0 ] || say "removed $n leftover container(s)"
	rm -rf "$FLEET_DIR"
	sw_release_fixture
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sw_use_fixture || exit 1
fleet_start || { tail -n 20 "$FLEET_DIR/stacks.log" "$FLEET_DIR/haproxy.log" >&2; exit 1; }
# shellcheck source=/dev/null
. "$FLEET_DIR/ecs.env"
NODE1=https://127.0.0.1:$(fleet_https_port 1)
say "fleet up: HAProxy $FLEET_ENDPOINT, node 1 alone $NODE1"

gen() { # gen TARGET ENDPOINT ARGS...: one loadgen run, its JSON tagged with TARGET
	local t=$1 ep=$2
	shift 2
	python3 "$ROOT/bench/loadgen.py" ecs --endpoint "$ep" --ca "$ECS_CA_CERT" \
		--cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" --user "$ECS_KEY:$ECS_SECRET" \
		--image "$SW_IMAGE" --request-timeout "$REQUEST_TIMEOUT" "$@" |
		python3 -c 'import json, sys; r = json.load(sys.stdin); r["target"] = sys.argv[1]; print(json.dumps(r))' "$t"
}
# Deletion runs after each answer: wait for every node to have deleted its
# containers before the next measurement (polled, bounded).
none_left() { local n; for n in $SW_NODES; do [ -z "$(sw_managed_ids "$n")" ] || return 1; done; }
drain() { wait_for 60 none_left || true; }

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); levels: $LEVELS; $COUNT tasks per level and target"
gen fleet "$FLEET_ENDPOINT" --concurrency 3 --count 6 --time-limit 30 >/dev/null # warm-up
drain
out=$FLEET_DIR/results.jsonl
: >"$out"
first=node1
for level in $LEVELS; do
	for target in "$first" "$([ "$first" = node1 ] && echo fleet || echo node1)"; do
		say "level $level: $target (load average $(cut -d' ' -f1 /proc/loadavg))"
		if [ "$target" = node1 ]; then ep=$NODE1; else ep=$FLEET_ENDPOINT; fi
		gen "$target" "$ep" --concurrency "$level" --count "$COUNT" --time-limit "$LEVEL_TIME" >>"$out"
		drain
	done
	first=$([ "$first" = node1 ] && echo fleet || echo node1)
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "${FLEET_JSON:-}" ] || cp "$out" "$FLEET_JSON"

python3 - "$out" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["target"], r["level"]): r for r in rows}
f = lambda v: "-" if v is None else "%.0f" % v
print("| clients | one node tasks/s | one node p50 / p95 ms | fleet (3 nodes, HAProxy) tasks/s | fleet p50 / p95 ms | fleet / one node | errors |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for lv in sorted({k[1] for k in by}):
    a, b = by.get(("node1", lv)), by.get(("fleet", lv))
    if not a or not b:
        continue
    ratio = "%.2f" % (b["tasks_per_s"] / a["tasks_per_s"]) if a["tasks_per_s"] else "-"
    print("| %d | %.2f | %s / %s | %.2f | %s / %s | %s | %d / %d |" % (lv, a["tasks_per_s"], f(a["p50_ms"]), f(a["p95_ms"]),
          b["tasks_per_s"], f(b["p50_ms"]), f(b["p95_ms"]), ratio, a["errors"], b["errors"]))
EOF
