#!/bin/sh
# A command the image does not have answers 201 with exit code 127 (as a
# shell would) and the engine's words on stderr, not an error.
. "$(dirname "$0")/lib.sh"
start_server
post_task "$(task_json /no/such/command)"
expect_status 201
expect_json .exitCode 127
[ -n "$(b64 .stderr)" ] || fail "empty stderr"
pass
