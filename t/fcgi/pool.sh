#!/bin/sh
# The warm pool through ecs-fcgi: [pool "IMAGE"] keeps a warm container; a
# task takes it ("pooled": true) with the answer a cold run gives; _metrics
# counts the hit and _health?quick=false lists the pool. kill -9 leaves the
# pool's containers running, and the next start removes them (their instance
# is dead); a clean stop removes its own.
. "$(dirname "$0")/lib.sh"
AGENT=$(cd "$(dirname "$ECS_FCGI")/../agent" && pwd)/ecs-agent
[ -x "$AGENT" ] || skip "no built ecs-agent at $AGENT"
write_config "auth = none" "instance_dir = $T/instances" "sweep_min_age = 3600" "pool_agent = $AGENT" "pool_adaptive = no" \
	"[pool \"$IMAGE\"]" "size = 1"
# instance_of: the instance id the server's log names last.
instance_of() { sed -n 's/.*instance \([^ ]*\) (lock in.*/\1/p' "$T/server.log" | tail -n 1; }
# pool_ids INSTANCE: its running pooled containers.
pool_ids() {
	docker_api "/containers/json?filters=$(printf '{"label":["ecs.pool","ecs.instance=%s"]}' "$1" | jq -sRr @uri)" |
		jq -r '.[].Id' | grep .
}
one_warm() { [ "$(pool_ids "$1" | wc -l)" -eq 1 ]; }
none_left() { ! pool_ids "$1"; }
wait_long() { for _ in $(seq 1 6); do wait_for 10 "$@" && return 0; done; return 1; }

start_server
inst=$(instance_of)
wait_long one_warm "$inst" || fail "no warm container of instance $inst: $(grep pool "$T/server.log")"

post_task "$(task_json echo hello world)"
expect_status 201
[ "$(jbody .pooled)" = true ] || fail "not pooled: $(cat "$BODY")"
[ "$(jbody .stdout | base64 -d)" = "hello world" ] || fail "stdout: $(cat "$BODY")"
[ "$(jbody .exitCode)" = 0 ] || fail "exit code: $(cat "$BODY")"
# the same request cold (another profile: no pool of its key) answers the same
post_task "$(printf '%s\n' echo hello world | jq -R . | jq -cs --arg img "$IMAGE" '{docker_image: $img, cmd: ., network: "none", limits: {pids: 100}}')"
expect_status 201
[ "$(jbody .pooled)" = false ] || fail "a key without a pool ran pooled: $(cat "$BODY")"
[ "$(jbody .stdout | base64 -d)" = "hello world" ] || fail "cold stdout: $(cat "$BODY")"

req GET /v1.1/_metrics
expect_status 200
grep -q '^ecs_pool_hits_total 1$' "$BODY" || fail "metrics: $(grep ecs_pool "$BODY")"
grep -q '^ecs_pool_misses_total 1$' "$BODY" || fail "metrics: $(grep ecs_pool "$BODY")"
req GET '/v1.1/_health?quick=false'
[ "$(jbody '.details.pool.pools[0].mode')" = fixed ] || fail "health: $(cat "$BODY")"
[ "$(jbody '.details.pool.pools[0].hits')" = 1 ] || fail "health: $(cat "$BODY")"

# kill -9: the refilled warm container stays; the next start removes it
wait_long one_warm "$inst" || fail "no refill after the hit"
orphan=$(pool_ids "$inst")
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
[ "$(docker_api "/containers/$orphan/json" | jq -r .State.Running)" = true ] || fail "the orphan should still run"
start_server
wait_for 10 container_gone "$orphan" || fail "the dead instance's pooled container $orphan is still there"
inst2=$(instance_of)
[ "$inst2" != "$inst" ] || fail "same instance id after a restart"
wait_long one_warm "$inst2" || fail "no warm container after the restart"
stop_server
none_left "$inst2" || fail "a clean stop left pooled containers: $(pool_ids "$inst2")"
pass
