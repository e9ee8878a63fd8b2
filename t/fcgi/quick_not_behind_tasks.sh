#!/bin/sh
# The quick health check, _noop and _metrics never wait behind tasks: with
# every task worker busy (2 sleeping tasks on 2 workers) and one more task
# queued, they still answer (cgi-fcgi bounded by timeout 5), and the metrics
# show the busy workers and the queue.
. "$(dirname "$0")/lib.sh"
write_config "max_concurrent_executing_http_requests = 2" "max_client_tasks = 0"
sed -i '/^max_concurrent_executing_http_requests = 4$/d' "$T/ecs.conf"
start_server
marker="sleep 45.$$"
for i in 1 2 3; do
	post_task "$(task_json sh -c "$marker")" > "$T/client.$i" 2>&1 &
	clients="${clients:-} $!"
done
running_tasks() { [ "$(marker_containers "$marker" | wc -l)" -eq 2 ]; }
# (two cold containers: seconds under the sanitizers beside other lanes)
wait_for 30 running_tasks || fail "the two task workers never both ran a task"
REQ_TIMEOUT=5
req GET /v1.1/_noop
expect_status 200
req GET /v1.1/_health
expect_status 200
expect_json .status green
req GET /v1.1/_metrics
expect_status 200
grep -q '^ecs_workers_busy 2$' "$BODY" || fail "busy workers: $(grep busy "$BODY")"
grep -q '^ecs_tasks_queued 1$' "$BODY" || fail "queued: $(grep queued "$BODY")"
REQ_TIMEOUT=
# The clients go; their tasks (the queued one too) are cancelled.
for c in $clients; do
	for pid in $(ps -o pid= --ppid "$c"); do kill -KILL "$pid"; done
done
for c in $clients; do wait "$c" 2>/dev/null; done
none_running() { [ "$(marker_containers "$marker" | wc -l)" -eq 0 ]; }
wait_for 10 none_running || fail "the cancelled tasks' containers are still there"
pass
