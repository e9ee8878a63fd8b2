#!/bin/sh
# Under backend = swarm sessions are not supported: every /v1.1/sessions
# request is a JSON 501 NOT_IMPLEMENTED saying so, before anything is made.
. "$(dirname "$0")/lib.sh"
write_config "backend = swarm"
start_server
for r in "POST /v1.1/sessions" "GET /v1.1/sessions" "GET /v1.1/sessions/abc" "DELETE /v1.1/sessions/abc" \
	"POST /v1.1/sessions/abc/exec" "PUT /v1.1/sessions/abc/files/tmp/x"; do
	# shellcheck disable=SC2086 # METHOD PATH
	req $r '{}' CONTENT_TYPE=application/json
	expect_error 501 NOT_IMPLEMENTED
	grep -q 'local engine only' "$BODY" || fail "$r: the 501 does not say why: $(cat "$BODY")"
done
pass
