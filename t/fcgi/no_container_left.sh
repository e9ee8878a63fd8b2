#!/bin/sh
# After tasks that succeed, fail and time out, and a shutdown, none of the
# containers ecs-fcgi made is left on the engine.
. "$(dirname "$0")/lib.sh"
write_config "default_timeout = 2" "max_timeout = 5"
start_server
post_task "$(task_json echo hi)"
expect_status 201
post_task "$(task_json sh -c 'exit 3')"
expect_status 201
post_task '{"docker_image": "ecs/busybox:latest", "cmd": ["sleep", "30"], "network": "none", "timeout": 1}'
expect_status 201
expect_json .timedOut true
post_task "$(task_json /no/such/command)"
stop_server
[ "$SERVER_RC" = 0 ] || fail "exit status $SERVER_RC"
ids=$(container_ids)
[ "$(echo "$ids" | wc -w)" -ge 3 ] || fail "expected 3+ containers in the log, got: $ids"
for id in $ids; do
	container_gone "$id" || fail "container $id is still there"
done
pass
