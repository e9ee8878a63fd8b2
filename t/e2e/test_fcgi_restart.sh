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

# Warm containers (adaptive pools are on by default: a task's miss gives its
# key a pool) must not outlive a responder killed hard either: run a task so
# that its key has a pool, and note the warm containers.
warm=
if e2e_has_engine; then
    api /v1.1/tasks -H 'Content-Type: application/json' \
        --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["true"]}'
    check "a task runs before" expect_status 201
    # This responder's own (its instance, from its log): other stacks on the
    # engine have warm containers too, which its restart must not touch.
    instance=$(sed -n 's/.*msg="instance \([0-9a-f]*\) .*/\1/p' "$ECS_RUN/ecs-fcgi.log" 2>/dev/null | tail -n 1)
    warm_ones() { warm=$(docker ps -q --no-trunc --filter label=ecs.managed=true --filter label=ecs.pool \
        ${instance:+--filter "label=ecs.instance=$instance"} --filter status=running 2>/dev/null); [ -n "$warm" ]; }
    check "its key has warm containers" wait_for 30 warm_ones
fi

# A task in flight when ecs-fcgi dies must not leave its container behind:
# start one that sleeps, then kill the responder hard.
marker="20.$$"
api /v1.1/tasks -H 'Content-Type: application/json' --max-time 60 \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["sleep", "'"$marker"'"]}' \
    >/dev/null 2>&1 &
inflight=$!
e2e_on_exit "kill $inflight 2>/dev/null || true"
orphan=
find_orphan() { orphan=$(task_containers "sleep $marker" | head -n 1); [ -n "$orphan" ]; }
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

# The killed responder's instance lock died with it: the next start-up sweep
# removes its containers at once, the running orphan and the warm ones
# included, whatever their age (sweep_min_age spares only the young
# containers of instances it cannot prove dead).
[ -z "$orphan" ] || check "the orphan still runs" bash -c '[ "$(docker inspect --format "{{.State.Status}}" "$1")" = running ]' _ "$orphan"
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
    warm_gone() {
        local id
        for id in $warm; do [ -z "$(docker ps -aq --filter "id=$id" 2>/dev/null)" ] || return 1; done
    }
    [ -z "$warm" ] || check "the killed responder's warm containers are gone" wait_for 30 warm_gone
fi

finish
