#!/bin/sh
# GET /v1.1/_metrics counts the requests made, by endpoint and status, and
# the task histograms and reaper counters move.
. "$(dirname "$0")/lib.sh"
start_server
req GET /v1.1/_noop
req GET /v1.1/_noop
req GET '/v1.1/_health?quick=dave'
post_task "$(task_json echo hi)"
expect_status 201
req GET /v1.1/_metrics
expect_status 200
expect_header Content-Type 'text/plain; version=0.0.4; charset=utf-8'
m=$BODY
grep -q '^ecs_http_requests_total{endpoint="_noop",status="200"} 2$' "$m" || fail "noop count: $(grep requests_total "$m")"
grep -q '^ecs_http_requests_total{endpoint="_health",status="400"} 1$' "$m" || fail "health count"
grep -q '^ecs_http_requests_total{endpoint="tasks",status="201"} 1$' "$m" || fail "tasks count"
grep -q '^ecs_task_duration_seconds_count 1$' "$m" || fail "task histogram"
grep -q '^ecs_task_phase_duration_seconds_count{phase="run"} 1$' "$m" || fail "phase histogram"
grep -q '^ecs_workers 4$' "$m" || fail "workers"
grep -q '^ecs_workers_busy 0$' "$m" || fail "busy task workers (none: _metrics is answered by an acceptor)"
grep -q '^ecs_tasks_queued 0$' "$m" || fail "queued tasks"
grep -q '^ecs_tasks_in_flight 0$' "$m" || fail "in flight"
grep -q '^ecs_reaper_queue_depth ' "$m" || fail "reaper queue"
# The container goes to the reaper after the response: it shows up as deleted.
wait_for 10 sh -c "printf '' | env -i REQUEST_METHOD=GET REQUEST_URI=/v1.1/_metrics cgi-fcgi -bind -connect $SOCK | grep -q '^ecs_containers_deleted_total 1'" \
	|| fail "container never counted as deleted"
pass
