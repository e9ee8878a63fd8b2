#!/bin/bash
# A session's exec through the queue, and the queue's fairness (issue 18),
# on a stack of our own (its own task store, async_workers = 2, no warm
# pool) with three client certificates of the same CA: ours, another, and
# a capped one (max_client_tasks = 1):
#  - Prefer: respond-async on POST /v1.1/sessions/{id}/exec answers 202 +
#    Location + Preference-Applied; polling reaches succeeded with the
#    output byte for byte, the document a synchronous exec gets; a file put
#    earlier is visible to it;
#  - a busy session: the queued exec waits (not failed) and the runner goes
#    on with other work meanwhile;
#  - DELETE of a queued exec and of a running one: canceled, the session
#    stays and runs the next exec; deleting a session cancels its queued
#    execs; a session lost before its exec ran: failed, the 410 a
#    synchronous exec gets;
#  - another client's session: 404 at submission, nothing queued;
#  - an Idempotency-Key replayed: the same taskId, one run;
#  - a client with max_client_tasks = 1 and 3 async tasks never has two
#    running at once, its synchronous task meanwhile is a 429, and another
#    client's task runs meanwhile.
# Ports: ECS_ASYNC_EXEC_PORTS (three consecutive; default 8571).
# The stack is ours, made here: not the deployment's.
E2E_NO_DEPLOYMENT=1
. "$(dirname "$0")/lib.sh"

ECS_STACK=$E2E_REPO/scripts/stack.sh
ECS_TEST_IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
if ! docker info >/dev/null 2>&1; then
    skip "no local engine: the async stack is not started"
    finish
fi
base=${ECS_ASYNC_EXEC_PORTS:-8571}
https_port=$base redirect_port=$((base + 1)) health_port=$((base + 2))
own=$E2E_TMP/stack
mkdir -p "$own"
e2e_on_exit 'own_stack stop >/dev/null 2>&1'
cat >"$own/base.conf" <<'EOF'
[ecs]
allowed_registries = docker.io
default_network = none
async_workers = 2
pool_budget = 0

[client "CN=ecs-demo-client,O=ecs clients"]
images = ecs/busybox:*

[client "CN=ecs-exec-other,O=ecs clients"]
images = ecs/busybox:*

[client "CN=ecs-exec-capped,O=ecs clients"]
images = ecs/busybox:*
max_client_tasks = 1
EOF
own_stack start >"$own/start.log" 2>&1 || { not_ok "the async stack did not start: $(tail -5 "$own/start.log")"; finish; }
# shellcheck source=/dev/null
. "$own/ecs.env"
ECS_KEY=${ECS_KEY:-} ECS_SECRET=${ECS_SECRET:-}
for c in ecs-exec-other ecs-exec-capped; do
    "$E2E_REPO/scripts/make-certs.sh" client "$own/certs" "$c" >/dev/null
done
as() { # as NAME [curl args...] PATH: as the client certificate NAME of the same CA
    n=$1; shift
    p=${*: -1}
    req --cert "$own/certs/$n.crt" --key "$own/certs/$n.key" \
        ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "${@:1:$#-1}" "$ECS_ENDPOINT$p"
}
json=(-H 'Content-Type: application/json')
async=(-H 'Prefer: respond-async')
exec_async() { # exec_async SESSION CMD_JSON [curl args...]: an exec queued
    s=$1 c=$2; shift 2
    api "/v1.1/sessions/$s/exec" "${json[@]}" "${async[@]}" "$@" --data "{\"cmd\": $c}"
}
exec_sync() { # exec_sync SESSION CMD_JSON: an exec that waits
    api "/v1.1/sessions/$1/exec" "${json[@]}" --data "{\"cmd\": $2}"
}
task_body() { jq -cn --arg i "$ECS_TEST_IMAGE" --argjson c "$1" '{docker_image: $i, cmd: $c}'; }
status_of() { api "/v1.1/tasks/$1" >/dev/null; jbody .status; }
is_status() { [ "$(status_of "$1")" = "$2" ]; }
ended() { case $(status_of "$1") in succeeded|failed|canceled) return 0 ;; esac; return 1; }
new_session() { # new_session: its id, or "" (and a failure)
    api /v1.1/sessions "${json[@]}" --data "$(jq -cn --arg i "$ECS_TEST_IMAGE" '{docker_image: $i}')" >/dev/null
    [ "$STATUS" = 201 ] || { not_ok "a session: HTTP $STATUS $(head -c 300 "$BODY")"; return; }
    jbody .sessionId
}
session_busy() { api "/v1.1/sessions/$1" >/dev/null; [ "$(jbody .state)" = busy ]; }
# hold_exec SESSION RESULT: the exec hold runs; its HTTP status into RESULT. Its answer goes
# to files of its own: in the shared ones it would overwrite what the test reads next (the
# 410 of a hold that a DELETE ended, landing after a poll of another task).
hold_exec() {
    local E2E_TMP=$E2E_TMP/hold.d.$1 BODY
    BODY=$E2E_TMP/body
    mkdir -p "$E2E_TMP"
    api "/v1.1/sessions/$1/exec" "${json[@]}" \
        --data '{"cmd": ["sh", "-c", "rm -f /tmp/go; i=0; while [ ! -e /tmp/go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done"]}' >/dev/null
    echo "$STATUS" >"$2"
}
# hold SESSION: a synchronous exec that keeps the session busy until `release SESSION`, in the
# background (its pid in $held; at most 120 s)
hold() {
    hold_exec "$1" "$E2E_TMP/hold.$1" &
    held=$!
    wait_for 20 session_busy "$1" || not_ok "session $1 did not become busy"
}
# release SESSION: end hold's exec (the engine's exec: the session's own API is busy) and wait for it
release() {
    docker ps -q --filter "label=ecs.session=$1" | xargs -r -I{} docker exec {} touch /tmp/go
    wait "$held"
}

sess=$(new_session)
e2e_on_exit 'api "/v1.1/sessions/$sess" -X DELETE >/dev/null 2>&1 || true'

# ---- 202, then poll to succeeded, byte for byte; a file put before ------------------
api "/v1.1/sessions/$sess/files/tmp/in.txt" -X PUT -H 'Content-Type: application/octet-stream' --data-binary 'put-before'
check "a file put into the session: 204" expect_status 204
ecmd='["sh", "-c", "cat /tmp/in.txt; printf \"\\377\\376\\n\"; printf err >&2; exit 3"]'
exec_async "$sess" "$ecmd"
check "an exec with Prefer: respond-async: 202" expect_status 202
eid=$(jbody .taskId)
check "queued, of kind exec, naming its session" \
    [ "$(jbody '[.status, .kind, .sessionId] | join(",")')" = "queued,exec,$sess" ]
check "Location is the task's URL" [ "$(header location)" = "$ECS_ENDPOINT/v1.1/tasks/$eid" ]
check "Preference-Applied: respond-async" [ "$(header preference-applied)" = respond-async ]
check "polling reaches succeeded" wait_for 60 is_status "$eid" succeeded
check "the file put earlier was there, the output byte for byte" \
    [ "$(jbody .result.stdout | base64 -d | od -An -tx1 | tr -d ' \n')" = "7075742d6265666f7265fffe0a" ]
check "stderr and the exit code too" [ "$(jbody .result.stderr | base64 -d):$(jbody .result.exitCode)" = err:3 ]
check "httpStatus 201" [ "$(jbody .httpStatus)" = 201 ]
jq -S '.result | keys' "$BODY" >"$E2E_TMP/async-keys.json"
jq -S '.result | del(.durationMs, .timings)' "$BODY" >"$E2E_TMP/async-result.json"
exec_sync "$sess" "$ecmd"
check "the same exec synchronously: 201" expect_status 201
check "the async result is the document a synchronous exec gets" \
    bash -c 'jq -S "keys" "$1" | cmp -s - "$2" && jq -S "del(.durationMs, .timings)" "$1" | cmp -s - "$3"' \
    _ "$BODY" "$E2E_TMP/async-keys.json" "$E2E_TMP/async-result.json"

# ---- a busy session: the exec waits, the runners go on ----------------------------------
hold "$sess"
exec_async "$sess" '["echo", "after"]'
check "an exec on a busy session: 202" expect_status 202
wid=$(jbody .taskId)
api /v1.1/tasks "${json[@]}" "${async[@]}" --data "$(task_body '["echo", "meanwhile"]')"
tid=$(jbody .taskId)
check "a task queued after it runs meanwhile" wait_for 30 is_status "$tid" succeeded
check "while the session is still busy" session_busy "$sess"
check "and the exec waits, queued" is_status "$wid" queued
release "$sess"
check "the holding exec ended: 201" [ "$(cat "$E2E_TMP/hold.$sess")" = 201 ]
check "then the waiting exec runs: succeeded" wait_for 30 is_status "$wid" succeeded
check "with its output" [ "$(jbody .result.stdout | base64 -d)" = after ]

# ---- cancel: a queued exec, a running one; the session stays -------------------------------
hold "$sess"
exec_async "$sess" '["echo", "never"]'
qid=$(jbody .taskId)
api "/v1.1/tasks/$qid" -X DELETE
check "DELETE of a queued exec: 200 canceled" [ "$STATUS:$(jbody .status)" = 200:canceled ]
check "its document says CANCELED, 499" [ "$(jbody .error.code):$(jbody .httpStatus)" = CANCELED:499 ]
release "$sess"
exec_async "$sess" '["sh", "-c", "echo $$ > /tmp/sleeper.pid; exec sleep 60"]'
rid=$(jbody .taskId)
check "a sleep 60 exec runs" wait_for 30 is_status "$rid" running
sleeper_started() { exec_sync "$sess" '["cat", "/tmp/sleeper.pid"]' >/dev/null; [ "$STATUS" = 409 ]; }
check "and holds its session" sleeper_started
t0=$(date +%s%N)
api "/v1.1/tasks/$rid" -X DELETE
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "DELETE of the running exec: 200 canceled" [ "$STATUS:$(jbody .status)" = 200:canceled ]
check "within 2 s (took $ms ms)" [ "$ms" -lt 2000 ]
check "its document says CANCELED, 499" [ "$(jbody .error.code):$(jbody .httpStatus)" = CANCELED:499 ]
exec_sync "$sess" '["sh", "-c", "kill -0 $(cat /tmp/sleeper.pid) 2>/dev/null && echo alive || echo gone"]'
check "the session stays and runs the next exec: its sleep was killed" \
    [ "$STATUS:$(jbody .stdout | base64 -d)" = "201:gone" ]
qn() { api '/v1.1/tasks?status=queued' >/dev/null; jbody '.tasks | length'; }
check "nothing is left queued" [ "$(qn)" = 0 ]

# ---- a session deleted, a session lost, before the exec ran --------------------------------
s2=$(new_session)
hold "$s2"
exec_async "$s2" '["echo", "never"]'
did=$(jbody .taskId)
api "/v1.1/sessions/$s2" -X DELETE
check "the session deleted: 204" expect_status 204
check "its queued exec: canceled" wait_for 10 is_status "$did" canceled
check "saying its session was deleted" bash -c 'jq -r .error.message "$1" | grep -Eq "was deleted|of its session"' _ "$BODY"
wait "$held"
s3=$(new_session)
hold "$s3"
exec_async "$s3" '["echo", "never"]'
lid=$(jbody .taskId)
docker ps -q --filter "label=ecs.session=$s3" | xargs -r docker rm -f >/dev/null
wait "$held"
check "the session's container gone: its queued exec failed" wait_for 30 is_status "$lid" failed
check "with the 410 SESSION_LOST a synchronous exec gets" \
    [ "$(jbody .error.code):$(jbody .httpStatus)" = SESSION_LOST:410 ]
exec_sync "$s3" '["true"]'
check "(a synchronous exec now: 410 SESSION_LOST)" expect_error 410 SESSION_LOST
api "/v1.1/sessions/$s3" -X DELETE >/dev/null

# ---- another client's session --------------------------------------------------------------
as ecs-exec-other "${json[@]}" "${async[@]}" --data '{"cmd": ["id"]}' "/v1.1/sessions/$sess/exec"
check "an exec in another client's session: 404 SESSION_NOT_FOUND" expect_error 404 SESSION_NOT_FOUND
as ecs-exec-other /v1.1/tasks
check "nothing was queued for it" [ "$STATUS:$(jbody '.tasks | length')" = 200:0 ]

# ---- an Idempotency-Key: one run -------------------------------------------------------------
key="exec-async-$$-$(date +%s%N)"
kcmd='["sh", "-c", "echo x >> /tmp/keyed; wc -l < /tmp/keyed"]'
exec_async "$sess" "$kcmd" -H "Idempotency-Key: $key"
check "a keyed async exec: 202" expect_status 202
kid=$(jbody .taskId)
exec_async "$sess" "$kcmd" -H "Idempotency-Key: $key"
check "the key replayed: 202 with the same taskId" [ "$STATUS:$(jbody .taskId)" = "202:$kid" ]
check "marked Idempotent-Replayed" [ "$(header idempotent-replayed)" = true ]
check "the keyed exec succeeds" wait_for 30 is_status "$kid" succeeded
check "its first run" [ "$(jbody .result.stdout | base64 -d | tr -d ' \n')" = 1 ]
exec_async "$sess" "$kcmd" -H "Idempotency-Key: $key"
check "replayed after it ended: the same taskId, succeeded" [ "$(jbody .taskId):$(jbody .status)" = "$kid:succeeded" ]
exec_sync "$sess" '["sh", "-c", "wc -l < /tmp/keyed"]'
check "it ran once" [ "$(jbody .stdout | base64 -d | tr -d ' \n')" = 1 ]

# ---- fairness: max_client_tasks counts the queue's runs ----------------------------------------
capped=()
for i in 1 2 3; do
    as ecs-exec-capped "${json[@]}" "${async[@]}" --data "$(task_body '["sleep", "5"]')" /v1.1/tasks
    [ "$STATUS" = 202 ] || not_ok "capped task $i: HTTP $STATUS $(head -c 300 "$BODY")"
    capped+=("$(jbody .taskId)")
done
check "a capped client's three async submissions: 202 each (the queue is not its cap)" [ "${#capped[@]}" = 3 ]
capped_running() { docker ps -q --filter "label=ecs.task-id=${capped[0]}" --filter status=running | grep -q .; }
check "its first runs" wait_for 30 capped_running
E2E_RETRY_LIMITER=1 as ecs-exec-capped "${json[@]}" --data "$(task_body '["true"]')" /v1.1/tasks
check "its synchronous task meanwhile: 429 TOO_MANY_TASKS (the running async one counts)" \
    expect_error 429 TOO_MANY_TASKS
api /v1.1/tasks "${json[@]}" "${async[@]}" --data "$(task_body '["echo", "other client"]')"
oid=$(jbody .taskId)
check "another client's task runs meanwhile" wait_for 30 is_status "$oid" succeeded
cap_status() { as ecs-exec-capped "/v1.1/tasks/$1" >/dev/null; jbody .status; }
check "before the capped client's last one started" [ "$(cap_status "${capped[2]}")" = queued ]
cap_ended() { for c in "${capped[@]}"; do case $(cap_status "$c") in succeeded) ;; *) return 1 ;; esac; done; }
check "the capped client's three succeed" wait_for 60 cap_ended
spans=$(for c in "${capped[@]}"; do as ecs-exec-capped "/v1.1/tasks/$c" >/dev/null; jbody '.startedAt + " " + .finishedAt'; done | sort)
one_at_a_time() { # each started no earlier than the one before it finished
    prev=
    while read -r s f; do
        [ -n "$s" ] && [ -n "$f" ] || return 1
        [ -z "$prev" ] || [[ ! "$s" < "$prev" ]] || return 1
        prev=$f
    done <<<"$spans"
}
check "never two of them running at once" one_at_a_time
say "  spans: $(echo "$spans" | tr '\n' ';')"
check "nothing is left running" [ "$(api '/v1.1/tasks?status=running' >/dev/null; jbody '.tasks | length')" = 0 ]

finish
