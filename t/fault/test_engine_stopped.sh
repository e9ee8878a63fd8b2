#!/bin/bash
# dockerd stopped (SIGSTOP) with a task running, then resumed (SIGCONT). A
# stopped engine still accepts connections (the kernel queues them) but
# never answers, so nothing fails fast: every request must end by the
# configured timeouts (docker_remote_api_request_timeout, the task's own
# timeout, libecs's bounded waits after a kill) with a JSON 502/503/504,
# never hang. Quick requests answer meanwhile (their workers never touch
# the engine); the quick health check turns red within two background engine
# checks, and the comprehensive one is red, while the engine is stopped,
# both green after SIGCONT; every task worker comes back (none stays
# stuck on a dead request), tasks run again without a restart, and the
# reaper and the sweep leave no container behind.
# Bounded: curl --max-time on every request, wait_for on every wait.
# shellcheck source=t/fault/lib.sh
. "$(dirname "$0")/lib.sh"
WORKERS=4
fault_setup "max_concurrent_executing_http_requests = $WORKERS" "max_client_tasks = 0" \
    "docker_remote_api_request_timeout = 4000" "docker_remote_api_connect_timeout = 2000" \
    "sweep_interval = 2" "sweep_min_age = 30"

post_task echo before
check "a task runs before the fault (201)" [ "$STATUS" = 201 ]

# One task running when the engine stops: its own timeout (5 s) passes while
# the engine is stopped, so it ends by the kill and wait bounds.
marker="sleep 60.$$"
running_body=$(task_body sh -c "$marker" | jq -c '. + {timeout: 5}')
MAX_TIME=90 bg_api running /v1.1/tasks -H 'Content-Type: application/json' --data-binary "$running_body"
running_client=$BG_PID
check "the task's container runs" wait_for 30 running_marker "$marker"

t0=$(date +%s)
kill -STOP "$(engine_pid)"
say "dockerd $(engine_pid) stopped"
stopped_state() { [ "$(sed 's/.*) //' "/proc/$(engine_pid)/stat" 2>/dev/null | cut -d' ' -f1)" = T ]; }
check "dockerd is stopped (state T)" stopped_state

# A new task while the engine is stopped: its first engine request (the
# image inspect) ends by the request timeout.
MAX_TIME=60 bg_task during echo during
during_client=$BG_PID

MAX_TIME=5 api /v1.1/_noop
check "_noop answers while the engine is stopped" [ "$STATUS" = 200 ]
MAX_TIME=5 api /v1.1/_health
check "the quick health check answers at once while the engine is stopped (it never waits for it)" \
    [ "$STATUS" = 200 -o "$STATUS" = 503 ]
# It answers from ecs-fcgi's background engine check (engine_check_interval,
# 2 s by default, each ping bounded by it): red within two intervals.
quick_is() { MAX_TIME=5 api /v1.1/_health; [ "$(jbody .status)" = "$1" ]; }
check "the quick health check turns red (503, with a reason) within two engine checks" \
    wait_for 6 quick_is red
check "  ... 503 with a reason" [ "$STATUS" = 503 -a -n "$(jbody '.reason // empty')" ]
MAX_TIME=30 api '/v1.1/_health?quick=false'
check "the comprehensive health check is red (503) while the engine is stopped" \
    [ "$STATUS" = 503 ] && [ "$(jbody .status)" = red ]

wait "$during_client"
bg_result during
check "a task sent while the engine is stopped ends with a JSON 502/503/504" is_json_error 502 503 504
wait "$running_client"
say "the running task answered $(( $(date +%s) - t0 )) s after dockerd was stopped"
bg_result running
check "the task running when the engine stopped ends with a JSON 502/503/504" is_json_error 502 503 504
check "dockerd is still stopped (the answers came from the timeouts)" stopped_state

kill -CONT "$(engine_pid)"
say "dockerd resumed after $(( $(date +%s) - t0 )) s"
check "dockerd answers after SIGCONT" wait_for 30 engine_ping
check "the comprehensive health check turns green" wait_for 30 health_is green
check "the quick health check turns green again" wait_for 10 quick_is green
idle_workers() {
    MAX_TIME=5 api /v1.1/_metrics
    grep -q '^ecs_workers_busy 0$' "$T/body" && grep -q '^ecs_tasks_in_flight 0$' "$T/body" &&
        grep -q '^ecs_tasks_queued 0$' "$T/body"
}
check "every task worker is free again (_metrics)" wait_for 30 idle_workers
# As many tasks at once as there are workers: none of them is stuck.
pids=
for i in $(seq "$WORKERS"); do
    MAX_TIME=60 bg_task "after$i" echo "after $i"
    pids="$pids $BG_PID"
done
# shellcheck disable=SC2086 # one pid per word
wait $pids
all_after() {
    for i in $(seq "$WORKERS"); do
        bg_result "after$i"
        if [ "$STATUS" != 201 ] || [ "$(jbody .stdout | base64 -d)" != "after $i" ]; then
            say "  task $i: HTTP $STATUS $(head -c 200 "$T/body")"
            return 1
        fi
    done
}
check "$WORKERS tasks at once run again (201, their output)" all_after
check "ecs-fcgi was not restarted" kill -0 "$(cat "$RUN/ecs-fcgi.pid")"
check "the reaper and the sweep leave no ecs container (60 s)" wait_for 60 no_ecs_left
finish
