#!/bin/bash
# The responder's log tells an operator what happened to each request: one
# line per request with nginx's request id, the client, the status, the task
# and container ids and the phase timings; and it never holds a registry
# password. Needs the local stack's log file (ECS_STACK from run/ecs.env).
. "$(dirname "$0")/lib.sh"

export ECS_RUN=${ECS_RUN:-$(dirname "$ECS_CA_CERT")/..}
LOG=$ECS_RUN/ecs-fcgi.log
if [ -z "${ECS_STACK:-}" ] || [ ! -f "$LOG" ]; then
    skip "not the local demo stack: no ecs-fcgi log to read"
    finish
fi

# log_line ID: the responder's request line for nginx's request id ID
log_line() { grep -F "request_id=$1 " "$LOG" | grep -F 'event=request' | tail -n 1; }
logged() { [ -n "$(log_line "$1")" ]; }

api /v1.1/tasks -H 'Content-Type: application/json' \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["echo", "logged"], "network": "none"}'
check "a task runs: 201" expect_status 201
rid=$(header x-request-id)
tid=$(jbody '.taskId // empty')
check "nginx sent a request id" test -n "$rid"
check "the request is logged under nginx's request id" wait_for 10 logged "$rid"
line=$(log_line "$rid")
has() { case $line in *"$1"*) return 0 ;; esac; say "  no '$1' in: $line"; return 1; }
check "the line has a UTC timestamp" bash -c '[[ $1 =~ ^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\  ]]' _ "$line"
check "the line names the method and path" has "method=POST path=/v1.1/tasks"
check "the line has the status" has "status=201"
check "the line names the client certificate" has "client=\"CN="
check "the line has the task id" has "task_id=$tid"
check "the line has the container id" has "container_id="
check "the line has the phase timings" has "phases_ms=pull:"
check "the line has the duration" has "duration_ms="

# A refused request is logged with its status too.
api /v1.1/tasks -H 'Content-Type: application/json' --data '{"docker_image": "ecs/busybox", "cmd": ["true"]}'
check "an invalid image name: 400" expect_status 400
rid=$(header x-request-id)
check "the refusal is logged" wait_for 10 logged "$rid"
line=$(log_line "$rid")
check "with its status" has "status=400"

# Credentials for a registry never reach the log, whatever becomes of the pull.
secret="e2e-secret-$$-$RANDOM"
api /v1.1/tasks -H 'Content-Type: application/json' \
    --data '{"docker_image": "127.0.0.1:5000/ecs-e2e/no-such-image:1", "cmd": ["true"], "network": "none",
             "creds": {"username": "e2e-user", "password": "'"$secret"'", "email": "e2e@ecs.test"}}'
rid=$(header x-request-id)
check "a pull with credentials is answered" bash -c '[ "$1" != 000 ] && [ "$1" -lt 500 ]' _ "$STATUS"
check "and logged" wait_for 30 logged "$rid"
check "the registry password is nowhere in the log" bash -c '! grep -qF "$1" "$2"' _ "$secret" "$LOG"

finish
