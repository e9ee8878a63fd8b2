#!/bin/sh
# A command that exits 1 is still a 201, with exitCode 1.
. "$(dirname "$0")/lib.sh"
start_server
post_task "$(task_json sh -c 'exit 1')"
expect_status 201
expect_json .exitCode 1
pass
