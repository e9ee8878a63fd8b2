#!/bin/sh
# After SIGTERM, while a task still runs within the grace period, new
# connections are refused at once (not queued), and the running task still
# finishes with its 201.
. "$(dirname "$0")/lib.sh"
write_config "shutdown_grace = 20"
start_server
marker="sleep 3.$$"
post_task "$(task_json sh -c "$marker; echo finished")" > /dev/null 2>&1 &
client=$!
wait_for 10 marker_containers "$marker" || fail "the task never started"
kill -TERM "$SERVER_PID"
wait_for 10 grep -q 'stopped accepting' "$T/server.log" || fail "never stopped accepting"
if printf '' | env -i REQUEST_METHOD=GET REQUEST_URI=/v1.1/_noop cgi-fcgi -bind -connect "$SOCK" 2>/dev/null | grep -q '^Status: 200'; then
	fail "a new request was served after SIGTERM"
fi
wait "$client"
stop_server
[ "$SERVER_RC" = 0 ] || fail "exit status $SERVER_RC"
grep -q 'status=201' "$T/server.log" || fail "the running task did not finish with 201"
grep -q 'grace period over' "$T/server.log" && fail "the task was cancelled inside the grace period"
pass
