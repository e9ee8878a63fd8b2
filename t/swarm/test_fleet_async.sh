#!/bin/bash
# The fleet's one queue: the three stacks of t/swarm/fleet_lib.sh, each on
# its own node's engine, all with `store = postgresql` on one database of a
# PostgreSQL cluster of this test's own (scripts/pg.sh), started at once
# (their schema migrations race), store_lease FLEET_STORE_LEASE (3 s).
#  - 30 async tasks submitted through node 1 (202 queued each) run on all
#    three nodes (no warm pools: each task's node from the nodes' own
#    container events);
#  - node 3 lists and answers every one of them, never the node it was
#    submitted to;
#  - node 2's ecs-fcgi killed (SIGKILL) while it runs tasks loses only
#    those: each ends `failed` with INTERRUPTED naming fleet-n2, once its
#    lease lapsed (not before, and not long after), none stays running;
#    every other task succeeds with its own output, the queue draining on
#    nodes 1 and 3;
#  - node 2 restarted answers GET for every task as node 3 does, and its
#    start-up sweep removes what its dead instance left;
#  - then a session made through node 3's own port: 4 async execs through
#    node 3 (202 queued each) run on node 3 only (its runner's log line
#    names the session's container, on node 3's engine; nodes 1 and 2 log
#    none), though their idle runners could have taken them (three stay
#    queued 2 s behind the first, which holds the session); each polled to
#    succeeded through node 1 or HAProxy, its output byte for byte;
#  - a running async exec (sleep 60) deleted through node 1: 200 canceled
#    within 5 s, its sleep gone from node 3's container, the session runs
#    the next exec; another client's GET and DELETE of its id through
#    nodes 1 and 2 are 404 TASK_NOT_FOUND and leave it running;
#  - an async exec through node 1 (not the session's node), and another
#    client's through node 3: 404 SESSION_NOT_FOUND, nothing queued;
#  - no ecs.managed container is left on any node (the session deleted).
# Bounded: fixed counts, every request --max-time, every wait bounded. Uses
# the fixture if it runs, else starts one and stops it. Ports FLEET_PORT..
# +9 (default 8570-8579) for the stacks and HAProxy, FLEET_PG_PORT (default
# FLEET_PORT + 10) for PostgreSQL.
# shellcheck disable=SC2317 # (functions called through wait_for and traps)
# shellcheck disable=SC2034 # read by t/e2e/lib.sh
E2E_NO_DEPLOYMENT=1
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
# shellcheck source=t/swarm/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/swarm/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"

FLEET_PG_PORT=${FLEET_PG_PORT:-$((FLEET_PORT + 10))}
PG_DIR=$E2E_TMP/pg
COUNT=30
SLEEP_S=6
LEASE_S=$FLEET_STORE_LEASE
# No warm pools: each task's container is created for it and carries its
# id, so the nodes' events say where each task ran.
FLEET_ECS_EXTRA="pool_budget = 0"

fleet_test_fixture
chmod 711 "$E2E_TMP" # (the cluster's owner, postgres, goes through it)
e2e_on_exit '"$SW_REPO/scripts/pg.sh" stop "$PG_DIR" >/dev/null 2>&1'
if ! FLEET_STORE_DSN=$("$SW_REPO/scripts/pg.sh" start "$PG_DIR" "$FLEET_PG_PORT"); then
	not_ok "a PostgreSQL for the fleet on port $FLEET_PG_PORT"
	finish
fi
# shellcheck disable=SC2016 # expanded at exit
e2e_on_exit 'n=$(fleet_remove_managed); [ "$n" = 0 ] || say "removed $n leftover container(s)"'
e2e_on_exit fleet_stop
if ! fleet_start; then
	not_ok "three stacks on one PostgreSQL store and HAProxy up"
	tail -n 20 "$FLEET_DIR/stacks.log" "$FLEET_DIR/haproxy.log" 2>/dev/null
	for n in $SW_NODES; do tail -n 5 "$(fleet_run "$n")/ecs-fcgi.log" 2>/dev/null; done
	finish
fi
ok "three stacks started at once on one PostgreSQL store ($FLEET_STORE_DSN), every node UP"
# shellcheck source=/dev/null
. "$FLEET_DIR/ecs.env"

# on N PATH [curl args...]: a request straight to node N's nginx (not the balancer).
on() {
	local n=$1 p=$2
	shift 2
	req --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" --user "$ECS_KEY:$ECS_SECRET" --max-time 30 \
		"$@" "https://127.0.0.1:$(fleet_https_port "$n")$p"
}

# ---- 30 async tasks through node 1, node 2 dies while it runs some ----------------------
# submit_all: every task submitted through node 1, 8 at a time (curl alone:
# the test's own jq and TLS per request would space them out on a loaded
# machine); task I's answer in sub/I.{status,body,hdr}.
submit_all() {
	mkdir -p "$E2E_TMP/sub"
	export ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET SW_IMAGE
	# shellcheck disable=SC2016 # expanded by bash -c
	seq $COUNT | xargs -P 8 -I{} bash -c '
		i=$1 d=$2 url=$3 secs=$4 tag=$5
		curl -sS -o "$d/$i.body" -D "$d/$i.hdr" -w "%{http_code}" --max-time 30 --cacert "$ECS_CA_CERT" \
			--cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" --user "$ECS_KEY:$ECS_SECRET" \
			-H "Content-Type: application/json" -H "Prefer: respond-async" \
			--data "{\"docker_image\": \"$SW_IMAGE\", \"cmd\": [\"sh\", \"-c\", \"sleep $secs; echo fleet-$i\"], \"labels\": {\"run\": \"$tag\"}}" \
			"$url/v1.1/tasks" >"$d/$i.status" 2>"$d/$i.err" || echo 000 >"$d/$i.status"
	' _ {} "$E2E_TMP/sub" "https://127.0.0.1:$(fleet_https_port 1)" "$SLEEP_S" "fleet-async-$$"
}
# task_ids_running_on N: the task ids of the ecs containers running on node N.
task_ids_running_on() {
	swd "$1" ps --filter label=ecs.managed=true --filter status=running \
		--format '{{.Label "ecs.task-id"}}' 2>/dev/null | grep . | sort -u
}
node2_busy() { [ -n "$(task_ids_running_on 2)" ]; }

say "at ${SECONDS}s: $COUNT async tasks through node 1"
t0=$(date +%s)
submit_all &
submitter=$!
if wait_for 60 node2_busy; then
	task_ids_running_on 2 >"$E2E_TMP/lost"
	t_kill_ms=$(date +%s%3N)
	kill -KILL "$(cat "$(fleet_run 2)/ecs-fcgi.pid")"
	ok "node 2's ecs-fcgi killed (SIGKILL) while it ran $(wc -l <"$E2E_TMP/lost") task(s)"
else
	not_ok "a task ran on node 2 (nothing to kill it under)"
	: >"$E2E_TMP/lost"
	t_kill_ms=$(date +%s%3N)
fi
wait "$submitter"
submitted=0
: >"$E2E_TMP/ids"
for i in $(seq $COUNT); do
	# (the document of the task as submitted: queued, whatever a runner did since)
	if [ "$(cat "$E2E_TMP/sub/$i.status")" = 202 ] && grep -qi '^location: ' "$E2E_TMP/sub/$i.hdr" &&
		[ "$(jq -r .status "$E2E_TMP/sub/$i.body")" = queued ]; then
		submitted=$((submitted + 1))
		echo "$i $(jq -r .taskId "$E2E_TMP/sub/$i.body")" >>"$E2E_TMP/ids"
	else
		say "  task $i: HTTP $(cat "$E2E_TMP/sub/$i.status") $(head -c 200 "$E2E_TMP/sub/$i.body") $(cat "$E2E_TMP/sub/$i.err")"
	fi
done
check "all $COUNT submissions through node 1 answered 202 queued with a Location ($submitted)" [ "$submitted" = $COUNT ]

# ---- every task ends, polled through node 3 --------------------------------------------------
say "at ${SECONDS}s: every task ends (polled through node 3)"
# all_ended: nothing of the run is queued or running, as node 3 lists them;
# then each task's own document, through node 3, in DIR/final/ID.json.
mkdir -p "$E2E_TMP/final"
none_in() { on 3 "/v1.1/tasks?label=run=fleet-async-$$&status=$1&limit=1" && [ "$STATUS" = 200 ] && [ "$(jbody '.tasks | length')" = 0 ]; }
all_ended() { none_in queued && none_in running; }
bound=$(((COUNT / 8 + 2) * (SLEEP_S + 2) + LEASE_S + 30))
if wait_for "$bound" all_ended; then
	ok "all $COUNT tasks ended within $bound s, none left queued or running"
else
	not_ok "all $COUNT tasks ended within $bound s"
fi
while read -r i id; do
	on 3 "/v1.1/tasks/$id"
	[ "$STATUS" != 200 ] || cp "$BODY" "$E2E_TMP/final/$id.json"
done <"$E2E_TMP/ids"
check "node 3 answers GET for each task submitted through node 1 ($(find "$E2E_TMP/final" -name '*.json' | wc -l) of $COUNT)" \
	[ "$(find "$E2E_TMP/final" -name '*.json' | wc -l)" = $COUNT ]
t1=$(($(date +%s) + 1))

# ---- what each ended as ------------------------------------------------------------------------
fleet_task_nodes "$t0" "$t1" >"$E2E_TMP/placed"
ran_on() { awk -v id="$1" '$1 == id { print $2 }' "$E2E_TMP/placed" | sort -u | tr '\n' ' '; }
# node2_only ID: the task ran on node 2 alone (or had no container yet when node 2 died).
node2_only() { case $(ran_on "$1") in "2 " | "") return 0 ;; *) return 1 ;; esac; }
succeeded=0 interrupted=0 wrong=0 early=0 late=0 unnamed=0
while read -r i id; do
	f=$E2E_TMP/final/$id.json
	[ -s "$f" ] || continue
	if [ "$(jq -r .status "$f")" = succeeded ] &&
		[ "$(jq -r .result.stdout "$f" | base64 -d)" = "fleet-$i" ] && [ "$(jq -r .result.exitCode "$f")" = 0 ]; then
		succeeded=$((succeeded + 1))
	elif [ "$(jq -r '.status + " " + .error.code + " " + (.httpStatus | tostring)' "$f")" = "failed INTERRUPTED 500" ] &&
		node2_only "$id"; then
		interrupted=$((interrupted + 1))
		echo "$id" >>"$E2E_TMP/interrupted"
		jq -r .error.message "$f" | grep -q "$(fleet_node_name 2)" || {
			unnamed=$((unnamed + 1))
			say "  task $i: INTERRUPTED, but its message does not name $(fleet_node_name 2): $(jq -r .error.message "$f")"
		}
		fin=$(date -d "$(jq -r .finishedAt "$f")" +%s%3N)
		# (1 s of slack for the clocks of the test and of the nodes' keepers)
		[ "$fin" -ge $((t_kill_ms + LEASE_S * 1000 - 1000)) ] || early=$((early + 1))
		[ "$fin" -le $((t_kill_ms + LEASE_S * 1000 + 15000)) ] || late=$((late + 1))
	else
		wrong=$((wrong + 1))
		say "  task $i ($id, ran on: $(ran_on "$id")): $(jq -c '{status, error, httpStatus, stdout: .result.stdout}' "$f")"
	fi
done <"$E2E_TMP/ids"
sort -o "$E2E_TMP/interrupted" "$E2E_TMP/interrupted" 2>/dev/null || : >"$E2E_TMP/interrupted"
say "$succeeded succeeded, $interrupted INTERRUPTED, $wrong otherwise; ran on nodes: $(awk '{ print $2 }' "$E2E_TMP/placed" | sort | uniq -c | awk '{ printf "n%s=%d ", $2, $1 }')"
check "every task ran on exactly one node (the nodes' container events)" \
	[ "$(awk '{ print $1 }' "$E2E_TMP/placed" | sort | uniq -d | wc -l)" = 0 ]
check "the tasks ran on all 3 nodes" [ "$(awk '{ print $2 }' "$E2E_TMP/placed" | sort -u | wc -l)" = 3 ]
check "every task either succeeded with its own output or was node 2's and INTERRUPTED (none otherwise)" \
	[ "$wrong" = 0 -a $((succeeded + interrupted)) = $COUNT ]
check "each task node 2 was running when it died ended INTERRUPTED ($(wc -l <"$E2E_TMP/lost") of them)" \
	[ -s "$E2E_TMP/lost" -a -z "$(comm -23 "$E2E_TMP/lost" "$E2E_TMP/interrupted")" ]
check "node 2 lost only what it had taken: $interrupted INTERRUPTED, all ran on node 2 alone" \
	[ "$interrupted" -ge 1 ]
check "each INTERRUPTED task's message names the node that stopped ($(fleet_node_name 2)): $unnamed do not" \
	[ "$unnamed" = 0 ]
check "no task was INTERRUPTED before node 2's lease lapsed ($LEASE_S s after the kill, 1 s of slack): $early" [ "$early" = 0 ]
check "each was INTERRUPTED within 15 s after the lease lapsed: $late late" [ "$late" = 0 ]
check "the queue drained on nodes 1 and 3: no task started on node 2 after the kill" \
	[ "$(fleet_task_nodes "$(((t_kill_ms + 999) / 1000))" "$t1" | awk '$2 == 2' | wc -l)" = 0 ]

# ---- node 2 comes back -------------------------------------------------------------------------
say "at ${SECONDS}s: node 2's ecs-fcgi restarts"
if fleet_node_stack 2 start-fcgi 2>>"$FLEET_DIR/stacks.log"; then
	same=0
	while read -r i id; do
		on 2 "/v1.1/tasks/$id"
		[ "$STATUS" = 200 ] && [ "$(jq -S 'del(.links)' "$BODY")" = "$(jq -S 'del(.links)' "$E2E_TMP/final/$id.json")" ] &&
			same=$((same + 1))
	done <"$E2E_TMP/ids"
	check "node 2 (restarted) answers GET for every task with node 3's document ($same of $COUNT)" [ "$same" = $COUNT ]
else
	not_ok "node 2's ecs-fcgi restarts"
fi

# ---- a session on node 3, its async execs ----------------------------------------------------
# Sessions are local to a node: the execs are queued pinned to node 3 and
# only its runners take them, though nodes 1 and 2 have idle runners (the
# queue is empty now); any node answers for their ids. Where each ran: the
# runner's `event=async` log line, written by the node that ran it only,
# naming the session's container, which is on node 3's engine only.
say "at ${SECONDS}s: a session on node 3, its async execs"
json=(-H 'Content-Type: application/json')
async=(-H 'Prefer: respond-async')
XRUN=fleet-exec-$$
# exec_body CMD_JSON: an exec's body, labelled with this run.
exec_body() { jq -cn --argjson c "$1" --arg r "$XRUN" '{cmd: $c, labels: {run: $r}}'; }
# doc_via N|lb ID: task ID's document through node N or the balancer.
doc_via() { if [ "$1" = lb ]; then api "/v1.1/tasks/$2"; else on "$1" "/v1.1/tasks/$2"; fi; }
status_via() { doc_via "$1" "$2" && [ "$STATUS:$(jbody .status)" = "200:$3" ]; }
ended_via() { doc_via "$1" "$2" && case $(jbody .status) in succeeded | failed | canceled) ;; *) return 1 ;; esac; }
# ran_on_log N ID: node N's runner logged the end of task ID (its container id printed).
ran_on_log() { grep -h "event=async task_id=$2 " "$(fleet_run "$1")/ecs-fcgi.log" | sed -n 's/.* container_id=\([^ ]*\).*/\1/p' | grep .; }
on 3 /v1.1/sessions "${json[@]}" --data "$(jq -cn --arg i "$SW_IMAGE" '{docker_image: $i}')"
check "a session created through node 3's own port: 201" expect_status 201
sid=$(jbody .sessionId)
# shellcheck disable=SC2016 # expanded at exit
e2e_on_exit 'on 3 "/v1.1/sessions/$sid" -X DELETE >/dev/null 2>&1 || true'
scid=$(swd 3 ps -q --no-trunc --filter "label=ecs.session=$sid")
check "its container is on node 3's engine, and on no other" \
	[ -n "$scid" -a -z "$(swd 1 ps -q --filter "label=ecs.session=$sid")$(swd 2 ps -q --filter "label=ecs.session=$sid")" ]
# The first exec holds the session until /tmp/go exists (at most 30 s), so
# the other three wait queued behind it, whatever the machine's speed.
# shellcheck disable=SC2016 # expanded by the session's sh
hold='n=0; while [ ! -e /tmp/go ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done; '
xids=()
for i in 1 2 3 4; do
	script="printf 'exec-$i\\377\\n'"
	[ "$i" != 1 ] || script=$hold$script
	on 3 "/v1.1/sessions/$sid/exec" "${json[@]}" "${async[@]}" \
		--data "$(exec_body "$(jq -cn --arg s "$script" '["sh", "-c", $s]')")"
	if [ "$STATUS:$(jbody '[.status, .kind, .sessionId] | join(",")')" = "202:queued,exec,$sid" ] &&
		header location | grep -q "/v1.1/tasks/$(jbody .taskId)\$"; then
		xids+=("$(jbody .taskId)")
	else
		say "  exec $i: HTTP $STATUS $(head -c 300 "$BODY")"
	fi
done
t_sub=$(date +%s%3N)
check "4 async execs through node 3: 202, queued, of kind exec, naming the session, with a Location" [ "${#xids[@]}" = 4 ]
check "the first runs, holding the session (node 1 says)" wait_for 30 status_via 1 "${xids[0]:-none}" running
# three_queued: the other three are still queued (node 2 says), 2 s (two
# polls of every idle runner) after the last was submitted.
three_queued() {
	local j
	for j in 1 2 3; do status_via 2 "${xids[$j]:-none}" queued || return 1; done
	[ $(($(date +%s%3N) - t_sub)) -ge 2000 ]
}
check "the other three stay queued 2 s behind it: no idle runner of nodes 1 and 2 takes them" wait_for 10 three_queued
swd 3 exec "$scid" touch /tmp/go || say "  no /tmp/go in the session's container: the first exec ends in 30 s"
exact=0 here=0
: >"$E2E_TMP/spans"
for i in "${!xids[@]}"; do
	id=${xids[$i]} via=$([ $((i % 2)) = 0 ] && echo 1 || echo lb)
	if ! wait_for 60 ended_via "$via" "$id" || [ "$(jbody .status)" != succeeded ]; then
		say "  exec $((i + 1)) through $via: $(head -c 300 "$BODY")"
		continue
	fi
	jbody '.startedAt + " " + .finishedAt' >>"$E2E_TMP/spans"
	# (byte for byte, a byte that is not UTF-8 included)
	[ "$(jbody '[.result.stdout, .result.exitCode, .httpStatus] | join(" ")')" = "$(printf 'exec-%d\377\n' $((i + 1)) | base64) 0 201" ] &&
		exact=$((exact + 1))
	wait_for 5 ran_on_log 3 "$id" && [ "$(ran_on_log 3 "$id")" = "$scid" ] &&
		! ran_on_log 1 "$id" && ! ran_on_log 2 "$id" && here=$((here + 1))
done
check "once it ends, each polled to succeeded through node 1 or HAProxy, its output byte for byte ($exact of 4)" [ "$exact" = 4 ]
check "each ran on node 3 only, in its session's container (the nodes' logs: $here of 4)" [ "$here" = 4 ]
# one_at_a_time: each exec started no earlier than the one before it ended (a session runs one request at a time).
one_at_a_time() {
	local s f prev=
	[ "$(wc -l <"$E2E_TMP/spans")" = 4 ] || return 1
	while read -r s f; do
		[ -n "$s" ] && [ -n "$f" ] && { [ -z "$prev" ] || [[ ! "$s" < "$prev" ]]; } || return 1
		prev=$f
	done < <(sort "$E2E_TMP/spans")
}
check "one at a time in their session: $(sort "$E2E_TMP/spans" | tr '\n' ';')" one_at_a_time

# ---- a running async exec deleted through another node; another client --------------------------
on 3 "/v1.1/sessions/$sid/exec" "${json[@]}" "${async[@]}" --data "$(exec_body '["sleep", "60"]')"
sleeper=$(jbody .taskId)  # (not rid: expect_error sets that)
# sleeping: a sleep 60 runs in the session's container (node 3's engine's view).
sleeping() { swd 3 top "$scid" 2>/dev/null | grep -q ' sleep 60$'; }
runs() { status_via "$1" "$sleeper" running && sleeping; }
check "an async exec sleep 60 runs (through node 1), in the session's container on node 3" wait_for 30 runs 1
"$SW_REPO/scripts/make-certs.sh" client "$FLEET_DIR/certs" ecs-fleet-other >/dev/null
other() { ECS_CLIENT_CERT=$FLEET_DIR/certs/ecs-fleet-other.crt ECS_CLIENT_KEY=$FLEET_DIR/certs/ecs-fleet-other.key on "$@"; }
other 1 "/v1.1/tasks/$sleeper"
check "another client's GET of its id through node 1: 404 TASK_NOT_FOUND" expect_error 404 TASK_NOT_FOUND
other 2 "/v1.1/tasks/$sleeper" -X DELETE
check "another client's DELETE of it through node 2: 404 TASK_NOT_FOUND" expect_error 404 TASK_NOT_FOUND
other 1 "/v1.1/tasks/${xids[0]:-none}"
check "another client's GET of a succeeded exec's id through node 1: 404 TASK_NOT_FOUND" expect_error 404 TASK_NOT_FOUND
check "and it still runs (through HAProxy)" runs lb
t_del=$(date +%s%3N)
on 1 "/v1.1/tasks/$sleeper" -X DELETE
ms=$(($(date +%s%3N) - t_del))
check "its owner's DELETE through node 1: 200 canceled within 5 s ($ms ms)" [ "$STATUS:$(jbody .status)" = 200:canceled -a "$ms" -lt 5000 ]
check "its document through HAProxy: canceled, CANCELED, 499" \
	[ "$(doc_via lb "$sleeper" && jbody '[.status, .error.code, .httpStatus] | join(" ")')" = "canceled CANCELED 499" ]
awake() { ! sleeping; }
check "its sleep is gone from the session's container on node 3" wait_for 5 awake
on 3 "/v1.1/sessions/$sid/exec" "${json[@]}" --data '{"cmd": ["echo", "still here"]}'
check "the session answers a synchronous exec next: 201" \
	[ "$STATUS:$(jbody .stdout | base64 -d)" = "201:still here" ]

# ---- refused: the exec through a node without the session, another client's --------------------
on 1 "/v1.1/sessions/$sid/exec" "${json[@]}" "${async[@]}" --data "$(exec_body '["echo", "refused"]')"
check "an async exec through node 1 (not the session's node): 404 SESSION_NOT_FOUND" expect_error 404 SESSION_NOT_FOUND
other 3 "/v1.1/sessions/$sid/exec" "${json[@]}" "${async[@]}" --data '{"cmd": ["echo", "not yours"]}'
check "another client's async exec in the session through node 3: 404 SESSION_NOT_FOUND" expect_error 404 SESSION_NOT_FOUND
other 3 /v1.1/tasks
check "nothing was queued for that client" [ "$STATUS:$(jbody '.tasks | length')" = 200:0 ]
on 2 "/v1.1/tasks?label=run=$XRUN"
check "node 2 lists this run's execs: the 5 accepted ones, none refused, none queued or running" \
	[ "$STATUS:$(jbody '[.tasks[].status] | sort | join(",")')" = "200:canceled,succeeded,succeeded,succeeded,succeeded" ]
on 3 "/v1.1/sessions/$sid" -X DELETE
check "the session deleted through node 3: 204" expect_status 204

# ---- nothing left ----------------------------------------------------------------------------
say "at ${SECONDS}s: nothing left"
none_left() { local n; for n in $SW_NODES; do [ -z "$(ecs_leftovers swd "$n")" ] || return 1; done; }
if wait_for 30 none_left; then
	ok "no container labelled ecs.managed=true left on any node (node 2's sweep removed its dead instance's)"
else
	not_ok "no container labelled ecs.managed=true left on any node: $(fleet_remove_managed) removed"
fi
finish
