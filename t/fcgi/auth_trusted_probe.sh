#!/bin/sh
# nginx's load-balancer listener sets ECS_TRUSTED_PROBE=1: that, and only
# that, lets the quick health check through without credentials; the
# comprehensive check and every other endpoint still need them.
. "$(dirname "$0")/lib.sh"
write_config "auth = client-cert"
start_server
req GET '/v1.1/_health?quick=true' "" ECS_TRUSTED_PROBE=1
expect_status 200
expect_json .status green
req GET '/v1.1/_health?quick=false' "" ECS_TRUSTED_PROBE=1
expect_error 401 UNAUTHENTICATED
req GET /v1.1/_metrics "" ECS_TRUSTED_PROBE=1
expect_error 401 UNAUTHENTICATED
req GET /v1.1/_health "" HTTP_ECS_TRUSTED_PROBE=1
expect_error 401 UNAUTHENTICATED
pass
