#!/bin/sh
# SIGTERM while a task runs: past the grace period the task is cancelled,
# its container killed and deleted, and ecs-fcgi exits 0.
. "$(dirname "$0")/lib.sh"
write_config "shutdown_grace = 1"
start_server
marker="sleep 41.$$"
post_task "$(task_json sh -c "$marker")" > "$T/client.out" 2>&1 &
client=$!
wait_for 10 marker_containers "$marker" || fail "the task's container never ran"
id=$(marker_containers "$marker")
stop_server
[ "$SERVER_RC" = 0 ] || fail "exit status $SERVER_RC"
wait $client
wait_for 10 container_gone "$id" || fail "container $id is still there"
grep -q 'grace period over' "$T/server.log" || fail "no cancellation logged"
pass
