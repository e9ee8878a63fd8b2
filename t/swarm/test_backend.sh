#!/bin/bash
# The Swarm backend through nginx (issue 11, 3(a)): one stack whose ecs-fcgi
# has `backend = swarm` and the fixture's manager as its engine.
#  - a batch of tasks lands on at least two nodes (the node each task ran on
#    from the result's "node", else from the nodes' container events by task
#    id), every answer right;
#  - a task's memory and pids limits reach its container on its node;
#  - a worker killed mid-batch: every task answers 201 or a JSON error
#    document (never a hang, never HTML), and a batch after it still runs;
#  - nothing left: no service and no container labelled ecs.managed=true.
# Skipped, saying so, while ecs-fcgi does not accept `backend = swarm`.
# Ports BACKEND_PORT.. (default 8580-8582). Uses the fixture if it runs,
# else starts one and stops it.
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
FCGI=${ECS_FCGI:-${ECS_BUILD:-$SW_REPO/build}/fcgi-app/ecs-fcgi}
[ -x "$FCGI" ] || { not_ok "ecs-fcgi is built ($FCGI)"; finish; }
PORT=${BACKEND_PORT:-8580}
RUN=$SW_DIR/backend

write_conf() {
	cat <<EOF
[ecs]
backend = swarm
docker_remote_api = unix://$(sw_sock 1)
pull_policy = never
default_network = none
EOF
}
write_conf >"$E2E_TMP/ecs.conf"
if ! "$FCGI" --check-config --config "$E2E_TMP/ecs.conf" >"$E2E_TMP/check.out" 2>&1; then
	skip "ecs-fcgi does not accept 'backend = swarm' yet (issue 11 part 1): $(head -n 1 "$E2E_TMP/check.out")"
	finish
fi

e2e_on_exit sw_release_fixture
if ! sw_use_fixture; then
	not_ok "the three-node fixture is up"
	finish
fi
services() { swd 1 service ls -q --filter label=ecs.managed=true 2>/dev/null; }
remove_all() {
	local s n=0
	s=$(services)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$s" ] || { swd 1 service rm $s >/dev/null 2>&1; n=$(wc -w <<<"$s"); }
	echo $((n + $(fleet_remove_managed)))
}
# shellcheck disable=SC2016 # expanded at exit
e2e_on_exit 'n=$(remove_all); [ "$n" = 0 ] || say "removed $n leftover service(s)/container(s)"'
e2e_on_exit "ECS_RUN='$RUN' '$FLEET_STACK' stop 2>/dev/null"
mkdir -p "$RUN"
write_conf >"$RUN/base.conf"
if ! ECS_RUN=$RUN ECS_CONFIG=$RUN/base.conf ECS_HTTPS_LISTEN=127.0.0.1:$PORT \
	ECS_REDIRECT_LISTEN=127.0.0.1:$((PORT + 1)) ECS_HEALTH_LISTEN=127.0.0.1:$((PORT + 2)) \
	ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
	ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
	"$FLEET_STACK" start 2>"$E2E_TMP/stack.log"; then
	not_ok "a stack with backend = swarm on the manager"
	tail -n 20 "$E2E_TMP/stack.log"
	finish
fi
ok "a stack with backend = swarm on the manager, https://127.0.0.1:$PORT"
# shellcheck source=/dev/null
. "$RUN/ecs.env"

# run_batch NAME COUNT SECONDS: sets OKS, BAD, ERRS and NODES (distinct nodes).
run_batch() {
	local d=$E2E_TMP/$1 i a node t0 t1
	t0=$(date +%s)
	fleet_batch "$d" "$2" 6 "$ECS_ENDPOINT" "$3"
	t1=$(($(date +%s) + 1))
	fleet_task_nodes "$t0" "$t1" >"$d/events"
	OKS=0 BAD=0 ERRS=
	: >"$d/nodes"
	for i in $(seq "$2"); do
		a=$(fleet_check_answer "$d" "$i")
		case $a in
		ok)
			OKS=$((OKS + 1))
			node=$(jq -r '.node // empty' "$d/$i.body")
			[ -n "$node" ] || node=$(awk -v id="$(jq -r .taskId "$d/$i.body")" '$1 == id { print "n" $2 }' "$d/events")
			echo "${node:-unknown}" >>"$d/nodes"
			;;
		error*) a=${a#error }; ERRS="$ERRS ${a/ /:}" ;;
		*) BAD=$((BAD + 1)); say "  task $i: $a" ;;
		esac
	done
	NODES=$(grep -vx unknown "$d/nodes" | sort -u | wc -l)
	say "$1: $OKS tasks ran on $NODES nodes ($(sort "$d/nodes" | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'))"
}

run_batch b1 12 0.5
check "batch 1: all 12 answered 201 with their own output ($OKS)" [ "$OKS" = 12 ]
check "batch 1 landed on at least two nodes ($NODES)" [ "$NODES" -ge 2 ]

# Limits: memory and pids as the task's cgroup on its node sees them.
api /v1.1/tasks -H 'Content-Type: application/json' --data \
	'{"docker_image": "'"$SW_IMAGE"'", "cmd": ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max"], "limits": {"memory": "64M", "pids": 50}}'
check "a task with limits answers 201" expect_status 201
check "its memory and pids limits reach its container (64M, 50)" \
	[ "$(jbody .stdout | base64 -d | tr '\n' ' ')" = "67108864 50 " ]

# A worker killed mid-batch.
# (running now: a finished task of a one-replica service keeps desired state running)
node3_busy() {
	swd 1 node ps "${SW_HOST}3" --filter desired-state=running --format '{{.CurrentState}}' 2>/dev/null |
		grep -q '^Running'
}
fleet_batch "$E2E_TMP/b2" 12 6 "$ECS_ENDPOINT" 2 &
batch=$!
if wait_for 60 node3_busy; then
	"$SW_REPO/t/swarm/fixture.sh" kill 3
else
	not_ok "a task of batch 2 ran on node 3 (nothing to kill it under)"
fi
wait "$batch"
OKS=0 BAD=0 ERRS=
for i in $(seq 12); do
	a=$(fleet_check_answer "$E2E_TMP/b2" "$i")
	case $a in ok) OKS=$((OKS + 1)) ;; error*) a=${a#error }; ERRS="$ERRS ${a/ /:}" ;; *) BAD=$((BAD + 1)); say "  task $i: $a" ;; esac
done
check "batch 2 (node 3 killed): every task answered 201 or a JSON error: $OKS ok, errors:${ERRS:- none}" [ "$BAD" = 0 ]
run_batch b3 6 0.2
check "batch 3 after the loss: all 6 answered 201 ($OKS)" [ "$OKS" = 6 ]
check "node 3 comes back" "$SW_REPO/t/swarm/fixture.sh" revive 3

none_left() {
	local n
	[ -z "$(services)" ] || return 1
	for n in $SW_NODES; do [ -z "$(sw_managed_ids "$n")" ] || return 1; done
}
# (Swarm removes what a dead node held once it is back and reconciles: slow under load)
if wait_for 60 none_left; then
	ok "no service and no container labelled ecs.managed=true left"
else
	not_ok "no service and no container labelled ecs.managed=true left: removed $(remove_all)"
fi
finish
