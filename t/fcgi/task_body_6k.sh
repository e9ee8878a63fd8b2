#!/bin/sh
# A 6 KiB body is a 413, from ecs-fcgi itself (no nginx in front).
. "$(dirname "$0")/lib.sh"
start_server
arg=$(head -c 6144 /dev/zero | tr '\0' a)
post_task "$(task_json echo "$arg")"
expect_error 413 PAYLOAD_TOO_LARGE
# Also when CONTENT_LENGTH understates it.
post_task "$(task_json echo "$arg")" CONTENT_LENGTH=100
expect_error 413 PAYLOAD_TOO_LARGE
pass
