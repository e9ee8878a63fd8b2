#!/bin/bash
# A bounded stress run against an isolated stack of its own: 80 tasks at
# concurrency 8 (echo, exit codes, stdout+stderr, binary output, tasks that
# time out) with bad requests interleaved (invalid JSON: 400; an image that
# is not there: 404). Every response must have its expected status and body
# (stdout decoded and compared), none may be a 5xx, the responder's
# /v1.1/_metrics counters must match what was sent, the responder must be
# healthy afterwards, and no container of these tasks may remain.
#
# The isolated stack (scripts/stack.sh with ECS_RUN under this test's
# temporary directory, its own loopback port, no redirect or health
# listener) has nginx's rate and connection limits raised, so the limiter
# is not what is exercised (test_limits.sh does that), and pull_policy =
# never, so an unknown image is a 404 without any registry. Nothing is
# timed or asserted about speed: that is bench/load.sh's job. Bounded: a
# fixed number of requests, each with --max-time, the whole run under
# `timeout`. Runs only next to the local stack (ECS_STACK, loopback).
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "$ECS_STACK" ] || ! e2e_loopback; then
    skip "not the local demo stack (no ECS_STACK): no isolated stack to start"
    finish
fi
DOCKER=${DOCKER:-docker}
TASKS=80
CONC=8
STACK=$ECS_STACK

# ---- the isolated stack -------------------------------------------------------
RUN=$E2E_TMP/run
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The base config with pull_policy and default_network set in its [ecs] section.
base=${ECS_CONFIG:-$E2E_REPO/packaging/ecs.conf}
[ -f "$base" ] || base=/dev/null
awk '/^[ \t]*(pull_policy|default_network)[ \t]*=/ { next }
     { print }
     /^[ \t]*\[ecs\][ \t]*$/ && !done { print "pull_policy = never"; print "default_network = none"; done = 1 }
     END { if (!done) { print "[ecs]"; print "pull_policy = never"; print "default_network = none" } }' \
    "$base" >"$E2E_TMP/ecs.conf"
# Leftovers of our tasks, whatever happened (after the stack has stopped).
: >"$E2E_TMP/task-ids"
our_containers() {
    "$DOCKER" ps -a --filter label=ecs.managed=true --format '{{.ID}} {{.Label "ecs.task-id"}}' 2>/dev/null |
        awk 'NR == FNR { want[$1] = 1; next } ($2 in want) { print $1 }' "$E2E_TMP/task-ids" -
}
# shellcheck disable=SC2086 # one id per word
remove_ours() { ids=$(our_containers); [ -z "$ids" ] || "$DOCKER" rm -f $ids >/dev/null 2>&1 || true; }
e2e_on_exit remove_ours
e2e_on_exit "ECS_RUN='$RUN' '$STACK' stop >/dev/null 2>&1"
if ! ECS_RUN=$RUN ECS_CONFIG=$E2E_TMP/ecs.conf \
     ECS_HTTPS_LISTEN=127.0.0.1:$port ECS_REDIRECT_LISTEN='' ECS_HEALTH_LISTEN='' \
     ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
     ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
     "$STACK" start 2>"$E2E_TMP/stack.log"; then
    not_ok "isolated stack on 127.0.0.1:$port started"
    cat "$E2E_TMP/stack.log"
    finish
fi
ok "isolated stack on 127.0.0.1:$port started"
# From here on lib.sh's api() talks to it.
# shellcheck source=/dev/null
. "$RUN/ecs.env"
ECS_KEY=${ECS_KEY:-} ECS_SECRET=${ECS_SECRET:-}
# shellcheck disable=SC2034 # read by lib.sh
E2E_HOSTPORT=127.0.0.1:$port
export E2E_NO_RETRY=1  # a 429 would be a failure here, not something to wait out

# ---- the requests ---------------------------------------------------------------
# One file per request: N.json (the body) and N.kind (what to expect), in
# the order they are handed to the $CONC parallel clients.
mkdir "$E2E_TMP/r"
n=0
add() { # add KIND BODY
    n=$((n + 1))
    printf '%s' "$2" >"$E2E_TMP/r/$n.json"
    echo "$1" >"$E2E_TMP/r/$n.kind"
}
img=$ECS_TEST_IMAGE
for i in $(seq "$TASKS"); do
    case $((i % 8)) in
    0|5) add "echo $i" '{"docker_image": "'"$img"'", "cmd": ["echo", "hello '"$i"'"], "network": "none"}' ;;
    1|6) add "exit $((i % 120 + 1))" '{"docker_image": "'"$img"'", "cmd": ["sh", "-c", "exit '"$((i % 120 + 1))"'"], "network": "none"}' ;;
    2|3) add "outerr $i" '{"docker_image": "'"$img"'", "cmd": ["sh", "-c", "echo out-'"$i"'; echo err-'"$i"' >&2; echo more-'"$i"'"], "network": "none"}' ;;
    4) add binary '{"docker_image": "'"$img"'", "cmd": ["printf", "\\000\\001\\177\\200\\376\\377"], "network": "none"}' ;;
    7) if [ $((i % 16)) = 15 ]; then
           add timeout '{"docker_image": "'"$img"'", "cmd": ["sleep", "10"], "timeout": 1, "network": "none"}'
       else
           add "echo $i" '{"docker_image": "'"$img"'", "cmd": ["echo", "hello '"$i"'"], "network": "none"}'
       fi ;;
    esac
    [ $((i % 8)) != 0 ] || add badjson '{"docker_image": "'"$img"'", "cmd": ["echo", '
    [ $((i % 16)) != 4 ] || add noimage '{"docker_image": "ecs/no-such-image-stress:'"$i"'", "cmd": ["true"], "network": "none"}'
done
total=$n

# The client of one request (run by xargs -P): N.status and N.body.
cat >"$E2E_TMP/one.sh" <<'EOF'
#!/bin/sh
d=$1 i=$2
curl -sS -o "$d/$i.body" -w '%{http_code}' --max-time 60 --cacert "$ECS_CA_CERT" \
    --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} \
    -H 'Content-Type: application/json' --data-binary "@$d/$i.json" \
    "$ECS_ENDPOINT/v1.1/tasks" >"$d/$i.status" 2>"$d/$i.err" || echo 000 >"$d/$i.status"
EOF
chmod +x "$E2E_TMP/one.sh"
export ECS_ENDPOINT ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET
t0=$(date +%s)
seq "$total" | timeout 180 xargs -P "$CONC" -n 1 "$E2E_TMP/one.sh" "$E2E_TMP/r" &
clients=$!  # (timeout passes a TERM on to xargs)
e2e_on_exit "kill $clients 2>/dev/null || true"
wait "$clients"
say "$total requests ($TASKS tasks) at concurrency $CONC in $(( $(date +%s) - t0 )) s"

# ---- every response ----------------------------------------------------------------
# expect I: the response to request I is what its kind says.
b64() { jq -r "$1" "$2" | base64 -d 2>/dev/null; }
expect() {
    local f=$E2E_TMP/r/$1 kind arg st
    read -r kind arg <"$f.kind"
    st=$(cat "$f.status" 2>/dev/null || echo none)
    case $kind in
    badjson) [ "$st" = 400 ] && jq -e '.status == 400 and (.code | type == "string") and (.requestId | length > 0)' "$f.body" >/dev/null 2>&1 ;;
    noimage) [ "$st" = 404 ] && jq -e '.status == 404 and .code == "IMAGE_NOT_FOUND"' "$f.body" >/dev/null 2>&1 ;;
    *)
        [ "$st" = 201 ] || return 1
        jq -r '.taskId // empty' "$f.body" >>"$E2E_TMP/task-ids" 2>/dev/null
        case $kind in
        echo) jq -e '.exitCode == 0 and .timedOut == false and .stderr == ""' "$f.body" >/dev/null &&
              [ "$(b64 .stdout "$f.body")" = "hello $arg" ] ;;
        exit) jq -e --argjson c "$arg" '.exitCode == $c and .stdout == "" and .stderr == ""' "$f.body" >/dev/null ;;
        outerr) jq -e '.exitCode == 0' "$f.body" >/dev/null &&
                [ "$(b64 .stdout "$f.body")" = "out-$arg
more-$arg" ] && [ "$(b64 .stderr "$f.body")" = "err-$arg" ] ;;
        binary) jq -e '.exitCode == 0 and .stdout == "AAF/gP7/"' "$f.body" >/dev/null ;;
        timeout) jq -e '.timedOut == true and .exitCode == 137' "$f.body" >/dev/null ;;
        *) return 1 ;;
        esac ;;
    esac
}
bad=0 n5xx=0
for i in $(seq "$total"); do
    if ! expect "$i"; then
        bad=$((bad + 1))
        [ $bad -gt 5 ] || say "  request $i ($(cat "$E2E_TMP/r/$i.kind")): HTTP $(cat "$E2E_TMP/r/$i.status" 2>/dev/null) $(head -c 300 "$E2E_TMP/r/$i.body" 2>/dev/null) $(cat "$E2E_TMP/r/$i.err" 2>/dev/null)"
    fi
    case $(cat "$E2E_TMP/r/$i.status" 2>/dev/null) in 5*) n5xx=$((n5xx + 1)) ;; esac
done
check "all $total responses have the expected status and body ($bad did not)" [ "$bad" -eq 0 ]
check "no 5xx ($n5xx)" [ "$n5xx" -eq 0 ]
count_kind() { cat "$E2E_TMP"/r/*.kind | awk -v k="$1" '$1 == k' | wc -l; }
say "sent: $(count_kind echo) echo, $(count_kind exit) exit codes, $(count_kind outerr) stdout+stderr, $(count_kind binary) binary, $(count_kind timeout) timeouts, $(count_kind badjson) invalid JSON, $(count_kind noimage) unknown images"

# ---- the responder's own account ------------------------------------------------------
api /v1.1/_metrics
check "GET /_metrics: 200" expect_status 200
counter() { # counter STATUS: ecs_http_requests_total of the tasks endpoint
    awk -v s="$1" '$1 == "ecs_http_requests_total{endpoint=\"tasks\",status=\"" s "\"}" { v = $2 } END { print v + 0 }' "$E2E_TMP/body"
}
n201=$((total - $(count_kind badjson) - $(count_kind noimage)))
check "metrics: tasks 201 = $n201 sent" [ "$(counter 201)" -eq "$n201" ]
check "metrics: tasks 400 = $(count_kind badjson) sent" [ "$(counter 400)" -eq "$(count_kind badjson)" ]
check "metrics: tasks 404 = $(count_kind noimage) sent" [ "$(counter 404)" -eq "$(count_kind noimage)" ]
others=$(grep '^ecs_http_requests_total{endpoint="tasks"' "$E2E_TMP/body" | grep -cv 'status="\(201\|400\|404\)"')
check "metrics: no other status on the tasks endpoint" [ "$others" -eq 0 ]
timed_out=$(awk '$1 == "ecs_tasks_timed_out_total" { print $2 + 0 }' "$E2E_TMP/body")
check "metrics: ecs_tasks_timed_out_total = $(count_kind timeout)" [ "${timed_out:-0}" -eq "$(count_kind timeout)" ]

healthy() { api '/v1.1/_health?quick=false'; [ "$STATUS" = 200 ]; }
check "responder healthy afterwards (comprehensive check)" healthy
check "ecs-fcgi still the one started (no restart)" \
    bash -c 'kill -0 "$(cat "$1")"' _ "$RUN/ecs-fcgi.pid"

# ---- nothing left behind -----------------------------------------------------------------
check "task ids collected ($(wc -l <"$E2E_TMP/task-ids") of $n201)" [ "$(wc -l <"$E2E_TMP/task-ids")" -eq "$n201" ]
if e2e_has_engine; then
    none_left() { [ -z "$(our_containers)" ]; }
    check "no container of these tasks left (reaper, within 30 s)" wait_for 30 none_left
else
    skip "no local engine: leftovers not checked"
fi

finish
