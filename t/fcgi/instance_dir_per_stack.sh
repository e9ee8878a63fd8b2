#!/bin/sh
# Two stacks on one engine, each with its own instance_dir (what
# scripts/stack.sh and write_config give every stack and test): stack A is
# killed -9 mid-task; stack B's start-up sweep must leave A's orphan alone
# (A's lock is not in B's directory: unknown, not dead), and A's successor,
# in A's directory, removes it at once. Without this, one tree's responder
# swept another tree's containers while that tree's test was still looking.
. "$(dirname "$0")/lib.sh"
sweeps_ended() { [ "$(grep -c 'start-up sweep' "$T/server.log")" -ge "$1" ]; }

write_config "instance_dir = $T/a" "sweep_min_age = 3600"
start_server
marker="sleep 44.$$"
post_task "$(task_json sh -c "$marker")" > "$T/client.out" 2>&1 &
client=$!
wait_for 10 marker_containers "$marker" || fail "the task's container never ran"
id=$(marker_containers "$marker")
instance=$(docker_api "/containers/$id/json" | jq -r '.Config.Labels["ecs.instance"]')
[ -f "$T/a/$instance.lock" ] || fail "no lock file for instance '$instance' in A's directory: $(ls "$T/a")"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
wait $client

# Stack B: its own directory; its start-up sweep is over once it says so.
write_config "instance_dir = $T/b" "sweep_min_age = 3600"
start_server
wait_for 10 sweeps_ended 2 || fail "B's start-up sweep never ended: $(grep sweep "$T/server.log")"
[ "$(docker_api "/containers/$id/json" | jq -r .State.Running)" = true ] ||
	fail "stack B removed stack A's container $id (B's sweep: $(grep sweep "$T/server.log" | tail -1))"
[ ! -e "$T/b/$instance.lock" ] || fail "A's lock file is in B's directory"
stop_server

# A's successor, in A's directory, finds A dead and removes its orphan.
write_config "instance_dir = $T/a" "sweep_min_age = 3600"
start_server
wait_for 10 container_gone "$id" || fail "A's successor left the dead instance's container $id"
grep -q 'its instance is dead' "$T/server.log" || fail "no sweep line: $(grep sweep "$T/server.log")"
pass
