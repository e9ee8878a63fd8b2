#!/bin/sh
# max_client_tasks: a client at its limit gets a 429 TOO_MANY_TASKS with
# Retry-After at once, while another client (its own [client] limit) still
# gets its task run; once a task ends, the first client is admitted again.
. "$(dirname "$0")/lib.sh"
write_config "auth = basic" "max_client_tasks = 1" "" \
	"[client:alice]" "images = ecs/busybox:*" "" \
	"[client:bob]" "images = ecs/busybox:*" "max_client_tasks = 2"
start_server
marker="sleep 44.$$"
post_task "$(task_json sh -c "$marker")" REMOTE_USER=alice > "$T/client.out" 2>&1 &
client=$!
find_container() { marker_containers "$marker"; }
wait_for 10 find_container || fail "alice's first task never ran"
post_task "$(task_json echo second)" REMOTE_USER=alice
expect_error 429 TOO_MANY_TASKS
expect_header Retry-After 1
# bob has a limit of his own and alice's task does not count against it.
post_task "$(task_json echo bob)" REMOTE_USER=bob
expect_status 201
[ "$(b64 .stdout)" = bob ] || fail "bob's stdout: $(b64 .stdout)"
# alice's first task goes (her client leaves); then she is admitted again.
for pid in $(ps -o pid= --ppid "$client"); do kill -KILL "$pid"; done
wait "$client" 2>/dev/null
id=$(find_container)
wait_for 10 container_gone "$id" || fail "alice's cancelled task is still there"
post_task "$(task_json echo again)" REMOTE_USER=alice
expect_status 201
[ "$(b64 .stdout)" = again ] || fail "alice's stdout: $(b64 .stdout)"
grep -q 'client=alice .*status=429 code=TOO_MANY_TASKS' "$T/server.log" || fail "the refusal is not in the log"
pass
