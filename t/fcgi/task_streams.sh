#!/bin/sh
# stdout and stderr come back apart, each byte-exact.
. "$(dirname "$0")/lib.sh"
start_server
post_task "$(task_json sh -c 'echo to-out; echo to-err >&2; printf "no newline"')"
expect_status 201
[ "$(b64 .stdout)" = "to-out
no newline" ] || fail "stdout: $(b64 .stdout)"
[ "$(b64 .stderr)" = "to-err" ] || fail "stderr: $(b64 .stderr)"
pass
