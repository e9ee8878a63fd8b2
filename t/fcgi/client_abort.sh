#!/bin/sh
# A client that goes away cancels its task: its FastCGI connection closes
# (as nginx closes it when its client aborts), the running container is
# killed and deleted, and the worker is free again.
. "$(dirname "$0")/lib.sh"
start_server
marker="sleep 43.$$"
post_task "$(task_json sh -c "$marker")" > "$T/client.out" 2>&1 &
client=$!
find_container() { marker_containers "$marker"; }
wait_for 10 find_container || fail "the task's container never ran"
id=$(find_container)
# The client is a subshell running cgi-fcgi: end cgi-fcgi itself, so its
# connection closes the way a dying client's does.
for pid in $(ps -o pid= --ppid "$client"); do kill -KILL "$pid"; done
wait "$client" 2>/dev/null
wait_for 10 container_gone "$id" || fail "container $id is still there 10 s after the client left"
cancelled() { grep -q 'status=499 code=CLIENT_CLOSED_REQUEST' "$T/server.log"; }
wait_for 10 cancelled || fail "no cancelled task in the log"
# The worker is back: a task runs to completion.
post_task "$(task_json echo after)"
expect_status 201
[ "$(b64 .stdout)" = after ] || fail "stdout after the abort: $(b64 .stdout)"
pass
