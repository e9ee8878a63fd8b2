#!/bin/sh
# A 3 KiB argument fits under the 5 KiB body limit and comes back intact.
. "$(dirname "$0")/lib.sh"
start_server
arg=$(head -c 3072 /dev/zero | tr '\0' a)
post_task "$(task_json echo "$arg")"
expect_status 201
[ "$(b64 .stdout)" = "$arg" ] || fail "stdout differs"
pass
