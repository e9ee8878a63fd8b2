#!/bin/sh
# ecs-fcgi killed -9 mid-task leaves a running container behind; the next
# ecs-fcgi on the host finds its instance's lock unheld and removes it at
# once, long before its deadline and whatever sweep_min_age says.
. "$(dirname "$0")/lib.sh"
write_config "instance_dir = $T/instances" "sweep_min_age = 3600"
start_server
marker="sleep 43.$$"
post_task "$(task_json sh -c "$marker")" > "$T/client.out" 2>&1 &
client=$!
wait_for 10 marker_containers "$marker" || fail "the task's container never ran"
id=$(marker_containers "$marker")
instance=$(docker_api "/containers/$id/json" | jq -r '.Config.Labels["ecs.instance"]')
[ -f "$T/instances/$instance.lock" ] || fail "no lock file for instance '$instance': $(ls "$T/instances")"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
wait $client
[ "$(docker_api "/containers/$id/json" | jq -r .State.Running)" = true ] || fail "the orphan should still run"
start_server
wait_for 10 container_gone "$id" || fail "the dead instance's container $id is still there"
grep -q 'its instance is dead' "$T/server.log" || fail "no sweep line: $(grep sweep "$T/server.log")"
pass
