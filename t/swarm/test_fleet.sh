#!/bin/bash
# The fleet: one ecs stack per node of the fixture (each ecs-fcgi on its own
# node's engine, each nginx verifying client certificates), behind HAProxy in
# TCP mode with health checks on each node's unauthenticated probe listener.
#  - a batch through the balancer lands on every node (each task's node from
#    that node's own container events, matched by task id), every answer right;
#  - a node whose ecs-fcgi stops mid-batch is taken out by the balancer (its
#    probe fails: DOWN, and it gets no new connection), every task of the
#    batch answers 201 or fails with a JSON error document (never a hang,
#    never HTML), and a batch after it runs entirely on the other nodes;
#  - the node comes back in when its ecs-fcgi does;
#  - a node whose dockerd dies (ecs-fcgi and nginx still up) is taken out
#    within two engine-check intervals plus HAProxy's fall x inter: its probe
#    (HEAD, as HAProxy sends it) answers from ecs-fcgi's background engine
#    check, 503 with a reason; tasks keep succeeding on the others and it
#    gets no connection; once its dockerd answers again it is back in;
#  - no ecs.managed container is left on any node.
# Speed is not asserted (bench/fleet.sh measures it). Bounded: fixed counts,
# each request --max-time 60, waits bounded. Uses the fixture if it runs,
# else starts one and stops it. Ports FLEET_PORT.. (default 8570-8579).
# shellcheck disable=SC2317 # (functions called through wait_for and traps)
# shellcheck disable=SC2034 # read by t/e2e/lib.sh
E2E_NO_DEPLOYMENT=1
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
# shellcheck source=t/swarm/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/swarm/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"

[ "$(id -u)" = 0 ] || { skip "needs root (the fixture)"; finish; }
command -v haproxy >/dev/null || { not_ok "haproxy is installed (Debian package haproxy)"; finish; }

e2e_on_exit sw_release_fixture
if ! sw_use_fixture; then
	not_ok "the three-node fixture is up"
	finish
fi
# shellcheck disable=SC2016 # expanded at exit
e2e_on_exit 'n=$(fleet_remove_managed); [ "$n" = 0 ] || say "removed $n leftover container(s)"'
e2e_on_exit fleet_stop
if ! fleet_start; then
	not_ok "three stacks and HAProxy up"
	tail -n 20 "$FLEET_DIR/stacks.log" "$FLEET_DIR/haproxy.log" 2>/dev/null
	finish
fi
ok "three stacks (one per node's engine) and HAProxy on $FLEET_ENDPOINT, every node UP"
# shellcheck source=/dev/null
. "$FLEET_DIR/ecs.env"

for n in $SW_NODES; do
	req "http://127.0.0.1:$(fleet_probe_port "$n")/v1.1/_health"
	check "node $n's probe listener answers the health check without credentials" expect_status 200
done

# answers DIR COUNT: check every answer; sets OKS, ERRS (codes) and BAD.
answers() {
	local i a
	OKS=0 ERRS="" BAD=0
	for i in $(seq "$2"); do
		a=$(fleet_check_answer "$1" "$i")
		case $a in
		ok) OKS=$((OKS + 1)) ;;
		error*) a=${a#error }; ERRS="$ERRS ${a/ /:}" ;;
		*) BAD=$((BAD + 1)); say "  task $i: $a" ;;
		esac
	done
}
# nodes_of DIR COUNT SINCE UNTIL: "ID NODE" lines for the tasks of DIR that
# answered 201, from the nodes' events; sets UNPLACED (answered but on no node).
nodes_of() {
	local i id
	fleet_task_nodes "$3" "$4" >"$E2E_TMP/events"
	UNPLACED=0
	: >"$E2E_TMP/placed"
	for i in $(seq "$2"); do
		[ "$(cat "$1/$i.status")" = 201 ] || continue
		id=$(jq -r .taskId "$1/$i.body")
		if grep -q "^$id " "$E2E_TMP/events"; then
			grep "^$id " "$E2E_TMP/events" >>"$E2E_TMP/placed"
		else
			UNPLACED=$((UNPLACED + 1))
		fi
	done
}
per_node() { awk '{ print $2 }' "$E2E_TMP/placed" | sort | uniq -c | awk '{ printf "n%s=%d ", $2, $1 }'; }
node_count() { awk '{ print $2 }' "$E2E_TMP/placed" | sort -u | wc -l; }
# batch NAME COUNT SECONDS: a batch through the balancer, 6 at a time, then
# its answers checked (answers) and its tasks placed (nodes_of).
batch() {
	local t0 t1
	t0=$(date +%s)
	fleet_batch "$E2E_TMP/$1" "$2" 6 "$ECS_ENDPOINT" "$3"
	t1=$(($(date +%s) + 1))
	answers "$E2E_TMP/$1" "$2"
	nodes_of "$E2E_TMP/$1" "$2" "$t0" "$t1"
}

# ---- a batch through the balancer lands on every node --------------------------
say "at ${SECONDS}s: a batch through the balancer lands on every node"
B1=12
batch b1 $B1 0.2
check "batch 1: all $B1 tasks answered 201 with their own output ($OKS)" [ "$OKS" = $B1 ]
check "batch 1: every answered task is in exactly one node's events" \
	[ "$UNPLACED" = 0 -a "$(wc -l <"$E2E_TMP/placed")" = "$OKS" ]
say "$OKS tasks ran on $(node_count) nodes ($(per_node))"
check "batch 1 landed on all 3 nodes" [ "$(node_count)" = 3 ]

# ---- node 2's ecs-fcgi stops mid-batch ---------------------------------------------
say "at ${SECONDS}s: node 2's ecs-fcgi stops mid-batch"
B2=12
stot() { hap "show stat" | awk -F, -v s="n$1" '$1 == "ecs_nodes" && $2 == s { print $8 }'; }
node2_busy() { [ -n "$(swd 2 ps -q --filter label=ecs.managed=true --filter status=running)" ]; }
t0=$(date +%s)
fleet_batch "$E2E_TMP/b2" $B2 6 "$ECS_ENDPOINT" 1 &
b2=$!
if wait_for 60 node2_busy; then
	fleet_node_stack 2 stop-fcgi 2>>"$FLEET_DIR/stacks.log" &
	stopper=$!
	check "the balancer takes node 2 out once its ecs-fcgi stops (probe fails: DOWN)" \
		wait_for 20 fleet_state_is 2 DOWN
	down_stot=$(stot 2)
	wait "$stopper"
else
	not_ok "a task of batch 2 ran on node 2 (nothing to stop it under)"
	down_stot=
fi
wait "$b2"
t1=$(($(date +%s) + 1))
answers "$E2E_TMP/b2" $B2
check "batch 2: every task answered 201 or a JSON error document (no hang, no HTML): $OKS ok, errors:${ERRS:- none}" \
	[ "$BAD" = 0 ]
for e in $ERRS; do
	case $e in 5[0-9][0-9]:*) ;; *) not_ok "batch 2: a node loss gives 5xx errors only, got $e" ;; esac
done
check "batch 2: most tasks still ran ($OKS of $B2)" [ "$OKS" -ge $((B2 / 2)) ]
nodes_of "$E2E_TMP/b2" $B2 "$t0" "$t1"
say "batch 2: $OKS tasks ran on $(node_count) nodes ($(per_node)); node 2's were in flight when it stopped"
check "node 2 got no connection after it was DOWN" [ -n "$down_stot" -a "$(stot 2)" = "$down_stot" ]

# ---- the rest still run: a batch after the loss, on nodes 1 and 3 only -----------------
say "at ${SECONDS}s: the rest still run: a batch after the loss, on nodes 1 and 3 only"
B3=6
batch b3 $B3 0.2
check "batch 3 (node 2 out): all $B3 tasks answered 201 ($OKS)" [ "$OKS" = $B3 ]
say "batch 3: $OKS tasks ran on $(node_count) nodes ($(per_node))"
check "batch 3 ran on nodes 1 and 3 only" [ "$(awk '$2 == 2' "$E2E_TMP/placed" | wc -l)" = 0 -a "$(node_count)" = 2 ]

# ---- node 2 comes back -------------------------------------------------------------------
say "at ${SECONDS}s: node 2 comes back"
if fleet_node_stack 2 start-fcgi 2>>"$FLEET_DIR/stacks.log"; then
	check "node 2 is back in the balancer once its ecs-fcgi is (UP)" \
		wait_for 20 fleet_state_is 2 UP
else
	not_ok "node 2's ecs-fcgi restarts"
fi

# ---- node 2's dockerd dies -----------------------------------------------------------------
# Its ecs-fcgi and nginx still run: only the probe's answer, from ecs-fcgi's
# background engine check (engine_check_interval), can take it out. The
# check must see the dead engine within two of its intervals
# (FLEET_CHECK_INTERVAL): timed by the check's own log line on node 2. Then
# HAProxy needs `fall` failed probes `inter` apart: the node must be DOWN
# within both (timed by HAProxy's own log line), plus 0.5 s for a busy machine.
say "at ${SECONDS}s: node 2's dockerd dies (its ecs-fcgi and nginx keep running)"
probe_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 -I "http://127.0.0.1:$(fleet_probe_port "$1")/v1.1/_health"; }
now_ms() { date +%s%3N; }
# red_logged_ms N SINCE_MS: when node N's ecs-fcgi logged its engine failing its check after SINCE_MS ("" if not).
red_logged_ms() {
	local ts ms
	while read -r ts; do
		ms=$(date -d "$ts" +%s%3N)
		[ "$ms" -lt "$2" ] || { echo "$ms"; return; }
	done < <(sed -n 's/^ts=\([^ ]*\) .*event=engine_check msg="the engine failed.*/\1/p' "$(fleet_run "$1")/ecs-fcgi.log")
}
# down_logged_ms N SINCE_MS: when HAProxy logged node N DOWN after SINCE_MS ("" if not).
down_logged_ms() {
	local ts ms
	while read -r ts; do
		ms=$(date -d "$ts" +%s%3N)
		[ "$ms" -lt "$2" ] || { echo "$ms"; return; }
	done < <(sed -n "s/^\\([0-9T:.+-]*\\) Server ecs_nodes\\/n$1 is DOWN.*/\\1/p" "$FLEET_DIR/haproxy.log")
}
red_bound_ms=$((2 * FLEET_CHECK_INTERVAL * 1000 + 300))
out_bound_ms=$((2 * FLEET_CHECK_INTERVAL * 1000 + FLEET_FALL * FLEET_INTER_MS + 500))
t_kill=$(now_ms)
if "$SW_REPO/t/swarm/fixture.sh" kill 2 >>"$FLEET_DIR/stacks.log" 2>&1; then
	wait_for 20 fleet_state_is 2 DOWN || { warn "timed out after 20s waiting for node 2 DOWN in HAProxy"; false; }
	t_down=$(down_logged_ms 2 "$t_kill")
	t_red=$(red_logged_ms 2 "$t_kill")
	red_ms=$((${t_red:-$((t_kill + 999999))} - t_kill))
	out_ms=$((${t_down:-$((t_kill + 999999))} - t_kill))
	say "  after the kill: node 2's engine check failed at +$red_ms ms, HAProxy marked it DOWN at +$out_ms ms (their logs)"
	check "node 2's ecs-fcgi saw its engine dead within two check intervals ($red_ms <= $red_bound_ms ms)" \
		[ "$red_ms" -le $red_bound_ms ]
	check "the balancer takes node 2 out (probe 503: DOWN) within $out_bound_ms ms ($out_ms)" \
		[ "$out_ms" -le $out_bound_ms ]
	down_stot=$(stot 2)
	check "node 2's probe (HEAD, no credentials) answers 503" [ "$(probe_status 2)" = 503 ]
	req "http://127.0.0.1:$(fleet_probe_port 2)/v1.1/_health"
	check "node 2's probe (GET) says why: 503 red with a reason" \
		[ "$STATUS" = 503 -a "$(jbody .status)" = red -a -n "$(jbody '.reason // empty')" ]
	say "  reason: $(jbody .reason)"
	B4=9
	batch b4 $B4 0.2
	check "batch 4 (node 2's engine dead): all $B4 tasks answered 201 ($OKS, errors:${ERRS:- none})" [ "$OKS" = $B4 ]
	say "batch 4: $OKS tasks ran on $(node_count) nodes ($(per_node))"
	check "node 2 got no connection while its engine was dead" [ -n "$down_stot" -a "$(stot 2)" = "$down_stot" ]
	t_revive=$(now_ms)
	if "$SW_REPO/t/swarm/fixture.sh" revive 2 >>"$FLEET_DIR/stacks.log" 2>&1; then
		t_back=$(now_ms)
		check "node 2 is back in the balancer once its dockerd answers (UP)" \
			wait_for 20 fleet_state_is 2 UP
		say "  node 2 UP $(($(now_ms) - t_back)) ms after fixture.sh revive returned (its engine answering, the node Ready), $(($(now_ms) - t_revive)) ms after the restart began"
		B5=9
		batch b5 $B5 0.2
		check "batch 5 (node 2 back): all $B5 tasks answered 201 ($OKS)" [ "$OKS" = $B5 ]
		say "batch 5: $OKS tasks ran on $(node_count) nodes ($(per_node))"
		check "node 2 takes connections again" [ "$(stot 2)" != "$down_stot" ]
	else
		not_ok "node 2's dockerd restarts (fixture.sh revive 2)"
	fi
else
	not_ok "node 2's dockerd is killed (fixture.sh kill 2)"
fi

# ---- nothing left ----------------------------------------------------------------------------
say "at ${SECONDS}s: nothing left"
none_left() { local n; for n in $SW_NODES; do [ -z "$(ecs_leftovers swd "$n")" ] || return 1; done; } # idle warm pool containers belong there
if wait_for 20 none_left; then
	ok "no container labelled ecs.managed=true left on any node"
else
	not_ok "no container labelled ecs.managed=true left on any node: $(fleet_remove_managed) removed"
fi
finish
