#!/bin/sh
# A body that is not application/json is a 415; charset parameters are fine.
. "$(dirname "$0")/lib.sh"
start_server
req POST /v1.1/tasks "$(task_json true)" CONTENT_TYPE=text/plain
expect_error 415 UNSUPPORTED_MEDIA_TYPE
req POST /v1.1/tasks "$(task_json true)"
expect_error 415 UNSUPPORTED_MEDIA_TYPE
req POST /v1.1/tasks "$(task_json true)" 'CONTENT_TYPE=application/json; charset=utf-8'
expect_status 201
pass
