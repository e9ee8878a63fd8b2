#!/bin/bash
# dockerd killed (SIGKILL) while a task runs: the task answers a JSON
# 502/503/504 promptly (bounded by curl's --max-time, far below the task's
# own 60 s), quick requests still answer while the engine is gone, and once
# dockerd is back the service recovers by itself (no restart of ecs-fcgi):
# the comprehensive health check turns green, tasks run again, and the
# reaper and the sweep leave no container behind.
# shellcheck source=t/fault/lib.sh
. "$(dirname "$0")/lib.sh"
fault_setup "max_concurrent_executing_http_requests = 4" "sweep_interval = 2" "sweep_min_age = 30" \
    "docker_remote_api_request_timeout = 15000"

post_task echo before
check "a task runs before the fault (201)" [ "$STATUS" = 201 ]

marker="sleep 60.$$"
( MAX_TIME=40 post_task sh -c "$marker"; echo "$STATUS" >"$T/killed.status"; cp "$T/body" "$T/killed.body" ) &
CLIENT_PIDS="$CLIENT_PIDS $!"
client=$!
check "the task's container runs" wait_for 30 running_marker "$marker"
t0=$(date +%s)
kill -KILL "$(engine_pid)"
wait "$client"
say "the task answered $(( $(date +%s) - t0 )) s after dockerd was killed"
STATUS=$(cat "$T/killed.status"); cp "$T/killed.body" "$T/body"
check "the running task answers a JSON 502/503/504" is_json_error 502 503 504

api /v1.1/_noop
check "_noop still answers with the engine gone" [ "$STATUS" = 200 ]
MAX_TIME=20 api '/v1.1/_health?quick=false'
check "the comprehensive health check is red (503)" [ "$STATUS" = 503 ] && [ "$(jbody .status)" = red ]
post_task echo during
check "a task while the engine is gone: JSON 502/503/504" is_json_error 502 503 504

engine_stop  # its containerd too, as a crashed host would lose it
engine_start
check "dockerd is back" engine_ping
check "the comprehensive health check turns green by itself" wait_for 30 health_is green
post_task echo after
check "tasks run again (201)" [ "$STATUS" = 201 ] && [ "$(jbody .stdout | base64 -d)" = after ]
check "ecs-fcgi was not restarted" kill -0 "$(cat "$RUN/ecs-fcgi.pid")"
check "the reaper and the sweep leave no ecs container (60 s)" wait_for 60 no_ecs_left
finish
