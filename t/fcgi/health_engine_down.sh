#!/bin/sh
# With the engine unreachable, quick health stays green and the
# comprehensive one is 503 red with the engine's details.
. "$(dirname "$0")/lib.sh"
write_config "docker_remote_api = unix://$T/no-such.sock"
start_server
req GET /v1.1/_health
expect_status 200
req GET '/v1.1/_health?quick=false'
expect_status 503
expect_json .status red
expect_json .details.engine.connectivity red
pass
