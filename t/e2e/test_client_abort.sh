#!/bin/bash
# A client that disconnects cancels its task, through nginx: curl starts a
# `sleep 60` task, curl is killed once the container runs, and the
# container must be gone (killed and deleted) within a bound, polled. The
# service then runs the next task as usual. Needs this machine's engine (to
# see the container), so only against a loopback deployment.
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if ! e2e_has_engine; then
    skip "no local engine: cannot watch the container"
    finish
fi
marker="sleep 60.$$"
find_container() { task_containers "$marker"; }
container_gone() { [ -z "$(docker ps -aq --filter "id=$1")" ]; }

curl -sS -o /dev/null --max-time 90 --cacert "$ECS_CA_CERT" --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
    ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} -H 'Content-Type: application/json' \
    --data-binary '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["sh", "-c", "'"$marker"'"], "network": "none"}' \
    "$ECS_ENDPOINT/v1.1/tasks" 2>"$E2E_TMP/client.err" &
client=$!
e2e_on_exit "kill -KILL $client 2>/dev/null || true"
has_container() { find_container >/dev/null; }
check "the task's container runs" wait_for 30 has_container
id=$(find_container)
kill -KILL "$client"
wait "$client" 2>/dev/null
t0=$(date +%s%N)
if [ -n "$id" ]; then
    check "the container is gone after the client left (bound 15 s)" wait_for 15 container_gone "$id"
    say "gone $(( ($(date +%s%N) - t0) / 1000000 )) ms after the client was killed (polled every 0.2 s)"
else
    not_ok "no container to watch"
fi
e2e_on_exit "[ -z '$id' ] || docker rm -f '$id' >/dev/null 2>&1 || true"

api /v1.1/tasks -H 'Content-Type: application/json' \
    --data-binary '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["echo", "after"], "network": "none"}'
check "the next task runs: 201" expect_status 201
check "with its output" [ "$(jbody .stdout | base64 -d)" = after ]
tid=$(jbody .taskId)
check "and its container is deleted too" wait_for 30 task_gone "$tid"
finish
