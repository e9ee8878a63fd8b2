#!/bin/sh
# A command that kills itself answers 201 with 128 + the signal as its exit
# code (as a shell reports it), what it wrote before kept, and neither
# timedOut nor oomKilled: SIGKILL is 137, SIGTERM 143.
. "$(dirname "$0")/lib.sh"
start_server
for sig in KILL:137 TERM:143; do
	post_task "$(task_json sh -c "echo before; echo err >&2; kill -${sig%:*} \$\$; echo after")"
	expect_status 201
	expect_json .exitCode "${sig#*:}"
	[ "$(b64 .stdout)" = before ] || fail "SIG${sig%:*}: stdout: $(b64 .stdout)"
	[ "$(b64 .stderr)" = err ] || fail "SIG${sig%:*}: stderr: $(b64 .stderr)"
	expect_json .timedOut false
	expect_json .oomKilled false
done
pass
