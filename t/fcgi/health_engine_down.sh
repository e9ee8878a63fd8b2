#!/bin/sh
# With the engine unreachable from the start, the quick check is already
# 503 red with a reason (ecs-fcgi checked the engine once before it took
# requests; the probe never waits for it), and the comprehensive one is 503
# red with the engine's details. With engine_check_interval = 0 there is no
# background check and the quick check stays green whatever the engine does.
. "$(dirname "$0")/lib.sh"
write_config "docker_remote_api = unix://$T/no-such.sock"
start_server
req GET /v1.1/_health
expect_status 503
expect_json .status red
[ "$(jbody '.reason | length')" -gt 0 ] || fail "no reason: $(cat "$BODY")"
req GET '/v1.1/_health?quick=false'
expect_status 503
expect_json .status red
expect_json .details.engine.connectivity red
expect_json .details.engineCheck.status red
stop_server

write_config "docker_remote_api = unix://$T/no-such.sock" "engine_check_interval = 0"
start_server
req GET /v1.1/_health
expect_status 200
expect_json .status green
req GET '/v1.1/_health?quick=false'
expect_status 503
expect_json .details.engine.connectivity red
expect_json .details.engineCheck null
pass
