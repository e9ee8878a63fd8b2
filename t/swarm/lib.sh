# shellcheck shell=bash disable=SC2034 # (the variables are for those who source it)
# t/swarm/lib.sh — what the multi-node fixture (t/swarm/fixture.sh) and the
# tests on it share: where its state lives, its names and addresses, and a
# client for each node. Sourcing it starts or changes nothing.
#
# The fixture is three dockerd, one per network namespace, on this machine.
# Everything it owns is named here once, so that start, stop and the check
# for leftovers agree on what is ours:
#   state dir    $SW_DIR (default ${ECS_RUN:-<repo>/run}/swarm): per node
#                nN/{root,exec,shadow,docker.sock,docker.pid,daemon.json,
#                key.json,dockerd.log}; image.tar; owner
#   netns        ecs-sw0 (the bridge), ecs-sw1..3 (the nodes)
#   cgroups      /ecs-swarm-nN in every controller (--cgroup-parent)
#   containerd   each dockerd's own containerd; namespaces ecs-swN, ecs-swNp
#   hostnames    ecs-sw-nN (swarm node names)
#   addresses    underlay 10.231.0.0/24 (node N = 10.231.0.1N) inside the
#                namespaces only; swarm address pool 10.232.0.0/16; docker0
#                of node N 172.29.N.1/24; local pools 172.28.0.0/16
# Nothing of it is in the host's network namespace, and no iptables rule is
# added anywhere (--iptables=false): the host's engine is not disturbed.

SW_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$SW_REPO/scripts/lib.sh"

SW_NODES="1 2 3"
SW_DIR=${ECS_SWARM_DIR:-${ECS_RUN:-$SW_REPO/run}/swarm}
SW_NS=ecs-sw
SW_CGROUP=ecs-swarm-n
SW_HOST=ecs-sw-n
SW_UNDERLAY=10.231.0
SW_ADDR_POOL=10.232.0.0/16
SW_MAIN_SOCK=/var/run/docker.sock
SW_IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
# Which state dir owns the namespaces now (one fixture per machine: the
# names above are machine-wide).
SW_OWNER_FILE=/run/ecs-swarm-fixture.owner

sw_node_dir() { echo "$SW_DIR/n$1"; }
sw_sock() { echo "$SW_DIR/n$1/docker.sock"; }
sw_pidfile() { echo "$SW_DIR/n$1/docker.pid"; }
sw_addr() { echo "$SW_UNDERLAY.1$1"; }

# swd N ARGS...: the docker client for node N.
swd() {
	local n=$1
	shift
	"$DOCKER" -H "unix://$(sw_sock "$n")" "$@"
}

# sw_ping N: node N's engine answers.
sw_ping() {
	[ -S "$(sw_sock "$1")" ] &&
		[ "$(curl -s --max-time 2 --unix-socket "$(sw_sock "$1")" http://x/_ping 2>/dev/null)" = OK ]
}

# sw_ready_count: how many nodes the manager (node 1) lists as Ready.
sw_ready_count() {
	swd 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$' || true
}
sw_all_ready() { [ "$(sw_ready_count)" = 3 ]; }

# sw_up: the fixture runs: every engine answers and all nodes are Ready.
sw_up() {
	local n
	for n in $SW_NODES; do sw_ping "$n" || return 1; done
	sw_all_ready
}

# sw_managed_ids N: ids of the containers on node N labelled ecs.managed=true.
sw_managed_ids() {
	swd "$1" ps -aq --no-trunc --filter label=ecs.managed=true 2>/dev/null
}

# sw_use_fixture: for a test: use the running fixture, or start one and stop
# it when the test exits (the caller's trap must call sw_release_fixture).
SW_STARTED_HERE=
sw_use_fixture() {
	if sw_up; then
		return 0
	fi
	SW_STARTED_HERE=yes
	"$SW_REPO/t/swarm/fixture.sh" start
}
sw_release_fixture() {
	[ -z "$SW_STARTED_HERE" ] || "$SW_REPO/t/swarm/fixture.sh" stop
	SW_STARTED_HERE=
}
