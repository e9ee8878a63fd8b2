#!/bin/sh
# nginx's load-balancer listener sets ECS_TRUSTED_PROBE=1: that, and only
# that, lets the quick health check (GET or HEAD) through without
# credentials; the comprehensive check and every other endpoint still need
# them.
. "$(dirname "$0")/lib.sh"
write_config "auth = client-cert"
start_server
req GET '/v1.1/_health?quick=true' "" ECS_TRUSTED_PROBE=1
expect_status 200
expect_json .status green
# A balancer that probes with HEAD (nginx lets HEAD through wherever GET
# goes) gets the same answer without a body.
req HEAD '/v1.1/_health?quick=true' "" ECS_TRUSTED_PROBE=1
expect_status 200
expect_header Content-Type 'application/json; charset=utf-8'
[ ! -s "$BODY" ] || fail "the answer to HEAD has a body: $(head -c 200 "$BODY")"
req HEAD '/v1.1/_health?quick=false' "" ECS_TRUSTED_PROBE=1
expect_status 401
req HEAD /v1.1/_version "" ECS_TRUSTED_PROBE=1
expect_status 401
req GET '/v1.1/_health?quick=false' "" ECS_TRUSTED_PROBE=1
expect_error 401 UNAUTHENTICATED
req GET /v1.1/_metrics "" ECS_TRUSTED_PROBE=1
expect_error 401 UNAUTHENTICATED
req GET /v1.1/_health "" HTTP_ECS_TRUSTED_PROBE=1
expect_error 401 UNAUTHENTICATED
pass
