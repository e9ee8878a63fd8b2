#!/bin/sh
# Workers run tasks side by side: 8 tasks on 4 workers all answer 201 with
# their own output, and while they run, more than one of their containers
# runs at once but never more than the 4 workers. (Counted on the engine, not
# timed: how long a start takes depends on the machine.)
. "$(dirname "$0")/lib.sh"
# Pooled: 8 tasks at once outrun a pool of 2, so most run cold; the point
# here is the workers, not the pool.
POOL_MISS_OK=1
start_server
marker="ecs-concurrent-$$"
for i in 1 2 3 4 5 6 7 8; do
	( post_task "$(task_json sh -c "sleep 3; echo task-$i $marker")"
	  [ "$STATUS" = 201 ] || { echo "status $STATUS" > "$T/bad.$i"; exit 1; }
	  [ "$(b64 .stdout)" = "task-$i $marker" ] || echo "stdout $(b64 .stdout)" > "$T/bad.$i" ) &
	pids="${pids:-} $!"
done
# Sample the running containers until every client has its answer.
max=0
while :; do
	n=$(marker_containers "$marker" | wc -l)
	[ "$n" -le "$max" ] || max=$n
	alive=0
	for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ $alive = 1 ] || break
	sleep 0.1
done
# (not a bare wait: the server is a child of this shell too)
for p in $pids; do wait "$p"; done
for f in "$T"/bad.*; do
	[ -e "$f" ] && fail "$f: $(cat "$f")"
done
[ "$max" -ge 2 ] || fail "at most $max task container(s) ran at once: the tasks did not run in parallel"
[ "$max" -le 4 ] || fail "$max task containers ran at once on 4 workers"
echo "at most $max task containers ran at once"
pass
