#!/bin/sh
# POST /v1.1/tasks/ (trailing slash) behaves exactly like /v1.1/tasks.
. "$(dirname "$0")/lib.sh"
start_server
req POST /v1.1/tasks/ "$(task_json echo hello world)" CONTENT_TYPE=application/json
expect_status 201
expect_json .exitCode 0
[ "$(b64 .stdout)" = "hello world" ] || fail "stdout: $(b64 .stdout)"
expect_json .stderr ""
pass
