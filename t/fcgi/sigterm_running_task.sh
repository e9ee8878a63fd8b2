#!/bin/sh
# SIGTERM while a task runs: past the grace period the task is cancelled,
# its container killed and deleted, and ecs-fcgi exits 0.
. "$(dirname "$0")/lib.sh"
write_config "shutdown_grace = 1"
start_server
marker="sleep 41.$$"
post_task "$(task_json sh -c "$marker")" > "$T/client.out" 2>&1 &
client=$!
find_container() {
	docker_api '/containers/json?filters=%7B%22label%22%3A%5B%22ecs.managed%3Dtrue%22%5D%7D' |
		jq -r --arg m "$marker" '.[] | select(.Command | contains($m)) | .Id' | grep .
}
wait_for find_container || fail "the task's container never ran"
id=$(find_container)
stop_server
[ "$SERVER_RC" = 0 ] || fail "exit status $SERVER_RC"
wait $client
wait_for container_gone "$id" || fail "container $id is still there"
grep -q 'grace period over' "$T/server.log" || fail "no cancellation logged"
pass
