#!/bin/sh
# With auth = basic, a request without REMOTE_USER is a 401 with a Basic challenge.
. "$(dirname "$0")/lib.sh"
write_config "auth = basic"
start_server
req GET /v1.1/_health
expect_error 401 UNAUTHENTICATED
expect_header WWW-Authenticate 'Basic realm="ecs"'
req GET /v1.1/_health "" REMOTE_USER=bob
expect_status 200
pass
