#!/bin/bash
# Killing ecs-fcgi makes nginx answer a JSON 502/503 (never an HTML page),
# and starting it again restores service with no container left behind.
# Needs the local stack (ECS_STACK from run/ecs.env): it stops and starts
# the responder, and always starts it again on the way out.
. "$(dirname "$0")/lib.sh"

if [ -z "$ECS_STACK" ] || ! e2e_loopback; then
    skip "not the local demo stack (no ECS_STACK): nothing to kill"
    finish
fi
export ECS_RUN=${ECS_RUN:-$(dirname "$ECS_CA_CERT")/..}

up() { E2E_NO_RETRY=1 api '/v1.1/_health?quick=true'; [ "$STATUS" = 200 ]; }
restart() { "$ECS_STACK" status >/dev/null 2>&1 || "$ECS_STACK" start-fcgi >/dev/null 2>&1; }
e2e_on_exit restart

check "service up before" up

# A task in flight when ecs-fcgi dies must not leave its container behind:
# start one that sleeps, then kill the responder hard.
api /v1.1/tasks -H 'Content-Type: application/json' --max-time 60 \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["sleep", "20"]}' \
    >/dev/null 2>&1 &
inflight=$!
e2e_on_exit "kill $inflight 2>/dev/null || true"
running_task() { [ -n "$(docker ps -q --filter label=ecs.managed=true --filter status=running 2>/dev/null)" ]; }
e2e_has_engine && wait_for 20 running_task || true

pid=$(cat "$ECS_RUN/ecs-fcgi.pid")
kill -KILL "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
check "ecs-fcgi killed" wait_for 10 gone
wait "$inflight" 2>/dev/null || true

E2E_NO_RETRY=1 api /v1.1/_noop
check "responder down: JSON 502 or 503" bash -c '[ "$1" = 502 ] || [ "$1" = 503 ]' _ "$STATUS"
check "the error is the ecs JSON document" expect_error_status "$STATUS"
if [ -n "$ECS_HEALTH_URL" ]; then
    req "$ECS_HEALTH_URL"
    check "health listener reports it: JSON 502" expect_error_status 502
fi

check "ecs-fcgi starts again" "$ECS_STACK" start-fcgi
check "service restored" wait_for 30 up

api /v1.1/tasks -H 'Content-Type: application/json' \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["echo", "back"]}'
check "a task runs after the restart" expect_status 201
tid=$(jbody '.taskId // empty')

# The killed responder's container is swept at start-up; the new task's is
# reaped after its response.
if e2e_has_engine; then
    [ -z "$tid" ] || check "the new task's container is gone" wait_for 30 task_gone "$tid"
    no_sleepers() {
        [ -z "$(docker ps -aq --filter label=ecs.managed=true 2>/dev/null |
            xargs -r docker inspect --format '{{join .Config.Cmd " "}}' 2>/dev/null | grep -x "sleep 20")" ]
    }
    check "the task killed with ecs-fcgi left no container" wait_for 60 no_sleepers
fi

finish
