#!/bin/bash
# The API reference cannot drift from the service: every response this test
# provokes from the running deployment (every endpoint, every extension, the
# error cases) is validated against docs/api/openapi.yaml with
# t/lib/openapi_validate.py, for its method, path and status, and its
# Content-Type must be the one the reference documents. Also: the
# reference's own examples match its schemas (the page built from it is
# checked by the redocly phase: scripts/api-docs.sh).
#
# Reads the deployment from ECS_ENDPOINT, ECS_CA_CERT, ECS_CLIENT_CERT,
# ECS_CLIENT_KEY (and ECS_KEY/ECS_SECRET) or run/ecs.env (see t/e2e/lib.sh).
. "$(dirname "$0")/lib.sh"

VALIDATE=$E2E_REPO/t/lib/openapi_validate.py
IMG=$ECS_TEST_IMAGE
TASK_IDS=()

# conforms METHOD PATH: the last response's body matches the reference for
# its status, with the documented Content-Type.
conforms() {
    local ct want
    ct=$(header content-type)
    case $2 in
    */_metrics*) want=text/plain ;;
    *) want=application/json ;;
    esac
    case $ct in
    "$want"*) ;;
    *) say "  Content-Type '$ct', the reference says $want"; return 1 ;;
    esac
    "$VALIDATE" --content-type "$ct" "$1" "$2" "$STATUS" <"$E2E_TMP/body" ||
        { say "  body: $(head -c 300 "$E2E_TMP/body")"; return 1; }
}
# call METHOD PATH EXPECTED-STATUS DESCRIPTION [curl args...]
call() {
    local m=$1 p=$2 want=$3 d=$4
    shift 4
    api "$p" -X "$m" "$@"
    tid=$(jbody '.taskId // empty')
    [ -z "$tid" ] || TASK_IDS+=("$tid")
    check "$m $p $d: $want" expect_status "$want"
    check "  conforms to the reference" conforms "$m" "$p"
}
task() { # task EXPECTED-STATUS DESCRIPTION JSON [PATH]
    call POST "${4:-/v1.1/tasks}" "$1" "$2" -H 'Content-Type: application/json' --data "$3"
}
b64is() { # b64is JQ-PATH TEXT: the base64 member decodes to TEXT
    [ "$(jbody "$1" | base64 -d 2>/dev/null)" = "$2" ] || { say "  $1 decodes to '$(jbody "$1" | base64 -d 2>/dev/null)'"; return 1; }
}
json_is() { jq -e "$@" "$E2E_TMP/body" >/dev/null 2>&1 || { say "  $(head -c 300 "$E2E_TMP/body")"; return 1; }; }

# ---- the reference itself ---------------------------------------------------------
check "every example in openapi.yaml matches its schema" "$VALIDATE" --check-examples

# ---- service endpoints ----------------------------------------------------------------
call GET /v1.1/_version 200 ""
call GET /v1.1/_noop 200 ""
call GET /v1.1/_health 200 "(quick by default)"
call GET '/v1.1/_health?quick=true' 200 ""
call GET '/v1.1/_health?quick=false' 200 "(engine checked)"
check "  comprehensive health has engine details" json_is '.details.engine.status == "green"'
call GET '/v1.1/_health?quick=dave' 400 ""
call GET /v1.1/_metrics 200 ""
check "  Prometheus text with ecs_http_requests_total" grep -q '^ecs_http_requests_total' "$E2E_TMP/body"

# ---- tasks: the original API ------------------------------------------------------------
# The original's request, without network: whatever the deployment's default
# network gives (an engine without a bridge fails it), the answer must
# conform. The rest ask for network none, which every engine has.
api /v1.1/tasks -H 'Content-Type: application/json' --data '{"docker_image": "'"$IMG"'", "cmd": ["echo", "hello world"]}'
tid=$(jbody '.taskId // empty'); [ -z "$tid" ] || TASK_IDS+=("$tid")
check "POST /v1.1/tasks, the original hello world, answered $STATUS: conforms to the reference" conforms POST /v1.1/tasks
NONE='"network": "none"'
task 201 "hello world" '{"docker_image": "'"$IMG"'", "cmd": ["echo", "hello world"], '"$NONE"'}'
check "  stdout is 'hello world'" b64is .stdout "hello world"
task 201 "(trailing slash)" '{"docker_image": "'"$IMG"'", "cmd": ["echo", "slash"], '"$NONE"'}' /v1.1/tasks/
task 201 "exit code 3" '{"docker_image": "'"$IMG"'", "cmd": ["sh", "-c", "exit 3"], '"$NONE"'}'
check "  exitCode 3" json_is '.exitCode == 3'
task 201 "stdout and stderr" '{"docker_image": "'"$IMG"'", "cmd": ["sh", "-c", "echo out; echo err >&2"], '"$NONE"'}'
check "  kept apart" bash -c '[ "$(jq -r .stdout "$0" | base64 -d)" = out ] && [ "$(jq -r .stderr "$0" | base64 -d)" = err ]' "$E2E_TMP/body"
task 201 "command not found (127)" '{"docker_image": "'"$IMG"'", "cmd": ["no-such-command"], '"$NONE"'}'

# ---- tasks: every extension --------------------------------------------------------------
task 201 "timeout" '{"docker_image": "'"$IMG"'", "cmd": ["sleep", "30"], "timeout": 1, "network": "none"}'
check "  timedOut is true" json_is '.timedOut == true'
task 201 "env" '{"docker_image": "'"$IMG"'", "cmd": ["sh", "-c", "echo $A-$B"], "env": ["A=1", "B=two"], "network": "none"}'
check "  env reaches the task" b64is .stdout "1-two"
task 201 "stdin" '{"docker_image": "'"$IMG"'", "cmd": ["cat"], "stdin": "'"$(printf 'fed in' | base64)"'", "network": "none"}'
check "  stdin reaches the task" b64is .stdout "fed in"
task 201 "limits" '{"docker_image": "'"$IMG"'", "cmd": ["true"], "limits": {"memory": "64M", "cpus": 0.5, "pids": 16}, "network": "none"}'
task 201 "limits (memory in bytes)" '{"docker_image": "'"$IMG"'", "cmd": ["true"], "limits": {"memory": 67108864}, "network": "none"}'
task 201 "network none" '{"docker_image": "'"$IMG"'", "cmd": ["true"], "network": "none"}'
check "  timings are reported" json_is '.timings.total > 0'

# ---- errors -----------------------------------------------------------------------------------
task 400 "no docker_image" '{"cmd": ["true"]}'
task 400 "no cmd" '{"docker_image": "'"$IMG"'"}'
task 400 "empty cmd" '{"docker_image": "'"$IMG"'", "cmd": []}'
task 400 "empty object" '{}'
task 400 "malformed JSON" '{"docker_image": '
task 400 "unknown property" '{"docker_image": "'"$IMG"'", "cmd": ["true"], "colour": "red"}'
task 400 "wrong type" '{"docker_image": "'"$IMG"'", "cmd": "true"}'
task 400 "bad network" '{"docker_image": "'"$IMG"'", "cmd": ["true"], "network": "host"}'
task 400 "image without tag" '{"docker_image": "busybox", "cmd": ["true"]}'
check "  code IMAGE_NAME_IS_INVALID" json_is '.code == "IMAGE_NAME_IS_INVALID"'
call POST /v1.1/tasks 415 "text/plain body" -H 'Content-Type: text/plain' --data 'echo hi'
task 400 "a file outside the writable mounts" '{"docker_image": "'"$IMG"'", "cmd": ["true"], "files": [{"path": "/etc/passwd", "content": "eA=="}]}'
check "  code PATH_REFUSED" json_is '.code == "PATH_REFUSED"'
task 400 "an artifact escaping by .." '{"docker_image": "'"$IMG"'", "cmd": ["true"], "artifacts": ["/tmp/../etc"]}'
check "  code PATH_REFUSED" json_is '.code == "PATH_REFUSED"'
{ printf '{"docker_image": "%s", "cmd": ["echo", "' "$IMG"; head -c $((1024 * 1024 + 1024)) /dev/zero | tr '\0' x; printf '"]}'; } >"$E2E_TMP/big.json"
call POST /v1.1/tasks 413 "body over 1 MiB" -H 'Content-Type: application/json' --data-binary "@$E2E_TMP/big.json"
call PUT /v1.1/tasks 405 ""
# issue 18: the caller's tasks, one task's document, and a queued one's 202
call GET /v1.1/tasks 200 "(the caller's tasks)"
call GET "/v1.1/tasks/${TASK_IDS[0]}" 200 "(a task's document)"
call POST /v1.1/tasks 202 "(Prefer: respond-async)" -H 'Content-Type: application/json' -H 'Prefer: respond-async' \
    --data '{"docker_image": "'"$IMG"'", "cmd": ["true"], '"$NONE"', "labels": {"t": "openapi"}}'
call GET /v1.1/tasks/0123456789abcdef0123456789abcdef 404 "(an unknown task)"
call DELETE /v1.1/_version 405 ""
call GET /v1.1/nothing-here 404 ""

# Without a client certificate: the front door's JSON 400.
req "$ECS_ENDPOINT/v1.1/_noop"
check "GET /v1.1/_noop without a client certificate: 400" expect_status 400
check "  conforms to the reference" conforms GET /v1.1/_noop

# No container of ours may be left (deletion is deferred: poll).
if e2e_has_engine; then
    all_gone() { local t; for t in "${TASK_IDS[@]}"; do task_gone "$t" || return 1; done; }
    check "no container of these ${#TASK_IDS[@]} tasks is left" wait_for 15 all_gone
fi
finish
