#!/bin/sh
# Sessions without an exec: create (201, Location, the container labelled
# with a hash of its owner, never the owner), show, list, another client's
# id is the 404 of an unknown one (GET and DELETE; the container stays),
# the per-client cap (429), kill -9 of ecs-fcgi then a restart adopts the
# session (it answers, same container), a session whose container died is
# lost (GET says why, a request is 410 SESSION_LOST, also once adopted),
# DELETE ends the container, an idle session expires (404 after),
# _metrics counts them, and nothing is left.
. "$(dirname "$0")/lib.sh"
sessions_home
write_config "auth = basic" "pool_agent = $AGENT" "max_client_sessions = 2" "$SESSION_HOME_KEY" "" \
	"[client:alice]" "images = ecs/busybox:*" "" "[client:bob]" "images = ecs/busybox:*"
start_server

create() { req POST /v1.1/sessions "$1" CONTENT_TYPE=application/json REMOTE_USER="$2"; }
as() { u=$1; shift; req "$@" "" REMOTE_USER="$u"; }

create "{\"docker_image\": \"$IMAGE\"}" alice
expect_status 201
sid=$(jbody .sessionId)
expect_header Location "/v1.1/sessions/$sid"
expect_json .state idle
[ "$(jbody .idleTimeout)" = 300 ] || fail "idleTimeout is not the default: $(cat "$BODY")"
cid=$(docker_api "/containers/json?filters=$(printf '{"label":["ecs.session=%s"]}' "$sid" | jq -sRr @uri)" | jq -r '.[0].Id')
{ [ -n "$cid" ] && [ "$cid" != null ]; } || fail "no running container labelled with session $sid"
labels=$(docker_api "/containers/$cid/json" | jq -c .Config.Labels)
printf '%s' "$labels" | grep -q alice && fail "the owner's identity is in the labels: $labels"
[ "$(printf '%s' "$labels" | jq -r '."ecs.session-owner" | length')" = 64 ] || fail "no owner hash: $labels"
[ "$(printf '%s' "$labels" | jq -r '."ecs.deadline"')" -gt "$(date +%s)" ] || fail "no deadline label: $labels"
[ "$(docker_api "/containers/$cid/json" | jq -r '.Config.StdinOnce')" = false ] || fail "stdin is one-shot"

as alice GET "/v1.1/sessions/$sid"
expect_status 200
expect_json .sessionId "$sid"
expect_json .image "$IMAGE"

# bob: the same 404 as for an id that never existed, whatever the method
as bob GET "/v1.1/sessions/$sid"
expect_error 404 SESSION_NOT_FOUND
as bob DELETE "/v1.1/sessions/$sid"
expect_error 404 SESSION_NOT_FOUND
as bob GET /v1.1/sessions/0123456789abcdef0123456789abcdef
expect_error 404 SESSION_NOT_FOUND
as bob POST "/v1.1/sessions/$sid/exec"
expect_error 404 SESSION_NOT_FOUND
as bob GET "/v1.1/sessions/$sid/files/tmp/x"
expect_error 404 SESSION_NOT_FOUND
[ "$(docker_api "/containers/$cid/json" | jq -r .State.Running)" = true ] || fail "bob's DELETE ended alice's session"
as bob GET /v1.1/sessions
expect_status 200
expect_json '.sessions | length' 0
as alice GET /v1.1/sessions
expect_json '.sessions | length' 1
expect_json '.sessions[0].sessionId' "$sid"

# the cap per client: alice may hold two
create "{\"docker_image\": \"$IMAGE\", \"idleTimeout\": 2}" alice
expect_status 201
sid2=$(jbody .sessionId)
create "{\"docker_image\": \"$IMAGE\"}" alice
expect_error 429 TOO_MANY_SESSIONS
create "{\"docker_image\": \"$IMAGE\", \"idleTimeout\": 999999}" bob
expect_error 400 BAD_REQUEST_BODY
create "{\"docker_image\": \"$IMAGE\", \"cmd\": [\"true\"]}" bob
expect_error 400 BAD_REQUEST_BODY

# an idle session expires: 404 after, its container gone
expired() { as alice GET "/v1.1/sessions/$sid2" && [ "$STATUS" = 404 ]; }
wait_for 20 expired || fail "session $sid2 (idleTimeout 2) did not expire"
cid2_gone() { [ -z "$(docker_api "/containers/json?all=1&filters=$(printf '{"label":["ecs.session=%s"]}' "$sid2" | jq -sRr @uri)" | jq -r '.[].Id')" ]; }
wait_for 20 cid2_gone || fail "the expired session's container is still there"

# a session whose container died (killed here, as an OOM kill or an engine
# restart would) shows as lost, and a request on it is 410 with the reason
create "{\"docker_image\": \"$IMAGE\"}" bob
expect_status 201
sid3=$(jbody .sessionId)
cid3=$(docker_api "/containers/json?filters=$(printf '{"label":["ecs.session=%s"]}' "$sid3" | jq -sRr @uri)" | jq -r '.[0].Id')
docker_do POST "/containers/$cid3/kill?signal=SIGKILL" >/dev/null
stopped() { [ "$(docker_api "/containers/$cid3/json" | jq -r .State.Running)" = false ]; }
wait_for 10 stopped || fail "the killed session container still runs"
as bob GET "/v1.1/sessions/$sid3"
expect_status 200
expect_json .state lost
[ "$(jbody '.reason | length')" -gt 0 ] || fail "a lost session without a reason: $(cat "$BODY")"
req POST "/v1.1/sessions/$sid3/exec" '{"cmd": ["true"]}' CONTENT_TYPE=application/json REMOTE_USER=bob
expect_error 410 SESSION_LOST

# kill -9, restart: the session is adopted, same container, still running
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
: > "$T/server.log"
start_server
as alice GET "/v1.1/sessions/$sid"
expect_status 200
expect_json .sessionId "$sid"
expect_json .state idle
[ "$(docker_api "/containers/$cid/json" | jq -r .State.Running)" = true ] || fail "the session's container stopped"
as bob GET "/v1.1/sessions/$sid"
expect_error 404 SESSION_NOT_FOUND
# the dead one, adopted too: lost, and DELETE ends it
as bob GET "/v1.1/sessions/$sid3"
expect_status 200
expect_json .state lost
as bob DELETE "/v1.1/sessions/$sid3"
expect_status 204

# DELETE: 204, then 404, and the container goes
as alice DELETE "/v1.1/sessions/$sid"
expect_status 204
as alice GET "/v1.1/sessions/$sid"
expect_error 404 SESSION_NOT_FOUND
wait_for 20 container_gone "$cid" || fail "the deleted session's container is still there"
# _metrics counts them (since this restart: one DELETE of bob's lost one, one of alice's)
as alice GET /v1.1/_metrics
expect_status 200
grep -qx 'ecs_sessions_open 0' "$BODY" || fail "sessions open: $(grep ecs_sessions_open "$BODY")"
grep -qx 'ecs_sessions_deleted_total 2' "$BODY" || fail "sessions deleted: $(grep ecs_sessions_deleted "$BODY")"
grep -q '^ecs_session_execs_total ' "$BODY" || fail "no ecs_session_execs_total in _metrics"
[ -z "$(session_containers)" ] || fail "session containers left: $(session_containers)"
pass
