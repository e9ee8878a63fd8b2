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
t0=$(date +%s)
api /v1.1/tasks -H 'Content-Type: application/json' --max-time 60 \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["sleep", "20"]}' \
    >/dev/null 2>&1 &
inflight=$!
e2e_on_exit "kill $inflight 2>/dev/null || true"
orphan=
find_orphan() { # the sleeping task's container, created by this test
    local id
    for id in $(docker ps -q --filter label=ecs.managed=true --filter status=running 2>/dev/null); do
        if [ "$(docker inspect --format '{{join .Config.Cmd " "}}' "$id" 2>/dev/null)" = "sleep 20" ] &&
           [ "$(date -d "$(docker inspect --format '{{.Created}}' "$id")" +%s)" -ge "$t0" ]; then
            orphan=$id
            return 0
        fi
    done
    return 1
}
if e2e_has_engine; then
    check "the task's container is running" wait_for 20 find_orphan
fi

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

# ecs-fcgi's start-up sweep removes what a crash left behind, but only
# containers that were created, and (once exited) stopped, more than
# sweep_min_age ago (60 s unless ecs.conf says otherwise: younger ones may
# belong to another live responder on the same engine, which may be reading
# their logs). Let the orphan finish its sleep and reach that age, then restart.
if [ -n "$orphan" ]; then
    min_age=$(sed -n 's/^[[:space:]]*sweep_min_age[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' \
        "$ECS_RUN/ecs.conf" 2>/dev/null | tail -n 1)
    min_age=${min_age:-60}
    exited_long_ago() {
        local finished
        [ "$(docker inspect --format '{{.State.Status}}' "$orphan" 2>/dev/null)" = exited ] || return 1
        finished=$(date -d "$(docker inspect --format '{{.State.FinishedAt}}' "$orphan")" +%s) || return 1
        [ $(( $(date +%s) - finished )) -gt "$min_age" ]
    }
    say "waiting for the orphan ${orphan:0:12} to have exited more than ${min_age}s ago"
    wait_for $(( min_age + 60 )) exited_long_ago || true
fi

check "ecs-fcgi starts again" "$ECS_STACK" start-fcgi
check "service restored" wait_for 30 up

api /v1.1/tasks -H 'Content-Type: application/json' \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["echo", "back"]}'
check "a task runs after the restart" expect_status 201
tid=$(jbody '.taskId // empty')

if e2e_has_engine; then
    [ -z "$tid" ] || check "the new task's container is gone" wait_for 30 task_gone "$tid"
    orphan_gone() { [ -z "$(docker ps -aq --filter "id=$orphan" 2>/dev/null)" ]; }
    if [ -n "$orphan" ]; then
        check "the task killed with ecs-fcgi left no container" wait_for 30 orphan_gone
    fi
fi

finish
