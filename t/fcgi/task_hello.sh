#!/bin/sh
# POST /v1.1/tasks runs echo: 201, exit 0, stdout "hello world", empty stderr.
. "$(dirname "$0")/lib.sh"
start_server
post_task "$(task_json echo hello world)"
expect_status 201
expect_json .exitCode 0
[ "$(b64 .stdout)" = "hello world" ] || fail "stdout: $(b64 .stdout)"
expect_json .stderr ""
expect_json .timedOut false
expect_json .stdoutTruncated false
pass
