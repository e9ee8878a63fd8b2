#!/bin/sh
# Workers run tasks side by side: 8 one-second tasks on 4 workers all answer
# 201 with their own output, in well under 8 seconds.
. "$(dirname "$0")/lib.sh"
start_server
start=$(date +%s)
for i in 1 2 3 4 5 6 7 8; do
	( post_task "$(task_json sh -c "sleep 1; echo task-$i")"
	  [ "$STATUS" = 201 ] || { echo "status $STATUS" > "$T/bad.$i"; exit 1; }
	  [ "$(b64 .stdout)" = "task-$i" ] || echo "stdout $(b64 .stdout)" > "$T/bad.$i" ) &
	pids="${pids:-} $!"
done
# (not a bare wait: the server is a child of this shell too)
for p in $pids; do wait "$p"; done
elapsed=$(( $(date +%s) - start ))
for f in "$T"/bad.*; do
	[ -e "$f" ] && fail "$f: $(cat "$f")"
done
[ "$elapsed" -lt 8 ] || fail "took $elapsed s: the tasks did not run in parallel"
pass
