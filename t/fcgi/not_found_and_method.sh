#!/bin/sh
# Unknown paths are 404 and wrong methods 405 with Allow, as error documents.
. "$(dirname "$0")/lib.sh"
start_server
req GET /random
expect_error 404 NOT_FOUND
# (GET /v1.1/tasks lists the caller's tasks since issue 18)
req PUT /v1.1/tasks
expect_error 405 METHOD_NOT_ALLOWED
expect_header Allow 'GET, HEAD, POST'
req PUT /v1.1/tasks/abc
expect_error 405 METHOD_NOT_ALLOWED
expect_header Allow 'GET, HEAD, DELETE'
req DELETE /v1.1/_health
expect_error 405 METHOD_NOT_ALLOWED
expect_header Allow 'GET, HEAD'
req GET /v1.1/_noop "" REQUEST_ID=0123456789abcdef0123456789abcdef
[ "$STATUS" = 200 ] || fail "noop $STATUS"
req GET /nowhere "" REQUEST_ID=0123456789abcdef0123456789abcdef
expect_json .requestId 0123456789abcdef0123456789abcdef
pass
