#!/bin/bash
# t/swarm/fixture.sh — a three-node Docker Swarm on this one machine, for the
# tests of t/swarm/ (and by hand). Root only.
#
# Usage:
#   t/swarm/fixture.sh start    clean what an earlier run left, then three
#                               dockerd (one network namespace each, joined
#                               by a bridge in a namespace of its own), the
#                               test image loaded on each, swarm init on node
#                               1 and join on 2 and 3; returns when all three
#                               are Ready. Non-zero (and nothing left) on failure.
#   t/swarm/fixture.sh stop     stop it and remove everything it made:
#                               processes, namespaces (and their veths),
#                               cgroups, mounts, the state dir. Exit 0 also
#                               when nothing ran; non-zero if something stays.
#   t/swarm/fixture.sh status   one line per node; exit 0 when all are up and Ready
#   t/swarm/fixture.sh kill N   SIGKILL node N's dockerd (a node lost; node
#                               loss tests); its containers stay as they were
#   t/swarm/fixture.sh revive N start node N's dockerd again on the same state
#                               and wait until the manager lists it Ready
#   t/swarm/fixture.sh env      shell-sourceable: ECS_SWARM_DIR, ECS_SWARM_MANAGER
#                               and ECS_SWARM_NODE_1..3 (unix:// sockets on the
#                               host filesystem, reachable from host processes)
#
# Environment: ECS_SWARM_DIR (state dir, default ${ECS_RUN:-run}/swarm),
# ECS_TEST_IMAGE (the image loaded on each node, default ecs/busybox:latest,
# taken from the main engine with docker save: never pulled), DOCKER.
# Names, addresses and why each flag is there: t/swarm/lib.sh and below.
set -Eeuo pipefail

# shellcheck source=t/swarm/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

[ "$(id -u)" = 0 ] || die "fixture: needs root (network namespaces, dockerd)"

# ---- the network: a bridge namespace and one namespace per node ----------------

net_up() {
	local n
	[ -d /run/netns ] || : >"$SW_DIR/created-run-netns" # ip netns add makes it
	ip netns add "${SW_NS}0"
	ip -n "${SW_NS}0" link set lo up
	ip -n "${SW_NS}0" link add swbr0 type bridge
	ip -n "${SW_NS}0" link set swbr0 up
	for n in $SW_NODES; do
		ip netns add "$SW_NS$n"
		ip -n "$SW_NS$n" link set lo up
		# Both ends are born inside our namespaces: nothing ever appears in
		# the host's, whose FORWARD policy would drop bridged traffic anyway.
		ip -n "$SW_NS$n" link add eth0 type veth peer name "swv$n" netns "${SW_NS}0"
		ip -n "${SW_NS}0" link set "swv$n" master swbr0
		ip -n "${SW_NS}0" link set "swv$n" up
		ip -n "$SW_NS$n" addr add "$(sw_addr "$n")/24" dev eth0
		ip -n "$SW_NS$n" link set eth0 up
	done
}

# ---- the engines ---------------------------------------------------------------

# start_node N: dockerd of node N in its network namespace, with a hostname
# and a mount namespace of its own, and every path of its own.
start_node() {
	local n=$1 d
	d=$(sw_node_dir "$n")
	mkdir -p "$d/root" "$d/exec" "$d/shadow/containerd" "$d/shadow/docker"
	# 20.10 takes its key file only from a config file; without one every
	# node would share /etc/docker/key.json (and the main engine's identity).
	printf '{"deprecated-key-path": "%s/key.json"}\n' "$d" >"$d/daemon.json"
	# nsenter --net, never `ip netns exec` (it remounts /sys and hides the
	# cgroup v1 hierarchy). unshare --uts: a hostname per node, else every
	# swarm node has the same name. --mount private: shadow /run/containerd
	# (the shim's sockets go to the fixed /run/containerd/s) and /run/docker
	# (dockerd makes /run/docker/plugins whatever --exec-root says) with our
	# own dirs; mount -n, else libmount writes /run/mount on the host.
	# --iptables=false (and so no masquerading, no forwarding sysctl, no
	# userland proxy): no rule anywhere, and tasks here use no network.
	# DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: workers use the loaded image
	# instead of asking a registry this machine cannot reach.
	# shellcheck disable=SC2016 # expanded by that sh
	setsid nsenter --net="/run/netns/$SW_NS$n" -- \
		unshare --uts --mount --propagation private -- \
		sh -c 'hostname "$1" &&
			mount -n --bind "$2/shadow/containerd" /run/containerd &&
			mount -n --bind "$2/shadow/docker" /run/docker &&
			exec env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd \
				--data-root "$2/root" --exec-root "$2/exec" \
				--pidfile "$2/docker.pid" -H "unix://$2/docker.sock" \
				--config-file "$2/daemon.json" \
				--cgroup-parent "/$3" \
				--containerd-namespace "$4" --containerd-plugins-namespace "${4}p" \
				--bip "$5" --default-address-pool base=172.28.0.0/16,size=24 \
				--iptables=false --ip-masq=false --ip-forward=false \
				--userland-proxy=false' \
		sh "$SW_HOST$n" "$d" "$SW_CGROUP$n" "$SW_NS$n" "172.29.$n.1/24" \
		</dev/null >>"$d/dockerd.log" 2>&1 9>&- &
	echo $! >"$d/launch.pid"
}

# wait_node N: until node N's engine answers; at once if its dockerd died.
wait_node() {
	local n=$1 d deadline
	d=$(sw_node_dir "$n")
	deadline=$(($(date +%s) + 60))
	until sw_ping "$n"; do
		if proc_gone "$(cat "$d/launch.pid")" && ! pid_alive "$(sw_pidfile "$n")" dockerd; then
			warn "fixture: dockerd of node $n exited while starting; end of $d/dockerd.log:"
			tail -n 15 "$d/dockerd.log" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			warn "fixture: dockerd of node $n not answering after 60 s; end of $d/dockerd.log:"
			tail -n 15 "$d/dockerd.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

# load_image: the same image on every node, by docker save/load (ids match;
# docker import would give each node another id). The main engine is only read.
load_image() {
	local n pids="" want got
	"$DOCKER" save "$SW_IMAGE" -o "$SW_DIR/image.tar" ||
		die "fixture: cannot docker save $SW_IMAGE from the main engine (./bootstrap up builds it)"
	for n in $SW_NODES; do
		swd "$n" load -q -i "$SW_DIR/image.tar" >/dev/null &
		pids="$pids $!"
	done
	# (a bare `wait` would also wait for the dockerds)
	# shellcheck disable=SC2086 # one pid per word
	wait $pids
	want=$("$DOCKER" image inspect -f '{{.Id}}' "$SW_IMAGE")
	for n in $SW_NODES; do
		got=$(swd "$n" image inspect -f '{{.Id}}' "$SW_IMAGE")
		[ "$got" = "$want" ] || die "fixture: node $n has $SW_IMAGE as $got, not $want"
	done
}

swarm_up() {
	local n token
	# The address pool for overlay networks away from the underlay; a 1 s
	# heartbeat so a lost node is Down in seconds, not 15.
	swd 1 swarm init --listen-addr "$(sw_addr 1):2377" --advertise-addr "$(sw_addr 1)" \
		--default-addr-pool "$SW_ADDR_POOL" --default-addr-pool-mask-length 24 \
		--dispatcher-heartbeat 1s >/dev/null
	token=$(swd 1 swarm join-token -q worker)
	for n in $SW_NODES; do
		[ "$n" = 1 ] && continue
		swd "$n" swarm join --listen-addr "$(sw_addr "$n"):2377" --advertise-addr "$(sw_addr "$n")" \
			--token "$token" "$(sw_addr 1):2377" >/dev/null
	done
	wait_for 60 sw_all_ready || { warn "timed out after 60s waiting for 3 swarm nodes Ready"; false; }
}

# ---- what the fixture leaves when it stops or dies: find it, remove it --------

# our_netns: the namespaces by our names that exist now.
our_netns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${SW_NS}[0-9]+$" || true; }
# our_cgroups: our cgroup dirs in every mounted controller.
our_cgroups() { find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name "${SW_CGROUP}[0-9]*" 2>/dev/null || true; }
# our_pids: processes in our namespaces (dockerd, containerd, shims) or in
# our cgroups (the containers, which have network namespaces of their own).
our_pids() {
	local ns c
	for ns in $(our_netns); do ip netns pids "$ns" 2>/dev/null || true; done
	for c in $(our_cgroups); do find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null || true; done
}
our_mounts() { # our_mounts DIR: host mount points under DIR, deepest first
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# dir_pids DIR: processes (other than us) whose command line names DIR: what
# runs from the state dir on top of the engines (a test's stacks, HAProxy)
# when the test could not stop them itself.
dir_pids() {
	local f p list
	# One grep over every command line (a process per pid is slow on a busy
	# machine); it finds itself too, and is gone once it has answered.
	list=$(grep -lsF -- "$1/" /proc/[0-9]*/cmdline)
	while IFS= read -r f; do
		p=${f#/proc/}
		p=${p%/cmdline}
		if [ -z "$p" ] || [ ! -e "/proc/$p" ]; then continue; fi
		if [ "$p" != $$ ] && [ "$p" != "$BASHPID" ]; then echo "$p"; fi
	done <<<"$list"
	return 0
}

# stop_dir_users DIR: SIGTERM what runs from DIR outside the engines (the
# engines' own processes, in our namespaces and cgroups, are stop_engines'
# job: a containerd stopped under its dockerd would stall it), bounded,
# then SIGKILL.
stop_dir_users() {
	local p pids="" engines
	engines=" $(our_pids | tr '\n' ' ') "
	for p in $(dir_pids "$1"); do
		[[ $engines == *" $p "* ]] || pids="$pids $p"
	done
	[ -n "$pids" ] || return 0
	warn "fixture: still running from $1, stopping:$pids"
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do
		wait_for 15 proc_gone "$p" || kill -KILL "$p" 2>/dev/null || true
	done
}

# stop_engines: SIGTERM every dockerd (it stops its containers and its
# containerd), bounded; then whatever is left of ours gets SIGKILL.
stop_engines() {
	local dir=$1 n pf pids p
	for n in $SW_NODES; do
		pf=$dir/n$n/docker.pid
		if pid_alive "$pf" dockerd; then kill -TERM "$(cat "$pf")" 2>/dev/null || true; fi
	done
	for n in $SW_NODES; do
		# (it removes its pidfile as it exits)
		p=$(cat "$dir/n$n/docker.pid" 2>/dev/null) || continue
		wait_for 30 proc_gone "$p" || true
	done
	pids=$(our_pids | sort -u)
	if [ -n "$pids" ]; then
		warn "fixture: processes left after the engines stopped: SIGKILL $(tr '\n' ' ' <<<"$pids")"
		for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
		for p in $pids; do wait_for 10 proc_gone "$p" || true; done
	fi
}

# cleanup DIR: everything of a fixture whose state dir was DIR, and anything
# by our names, whoever made it.
cleanup() {
	local dir=$1 c ns m
	stop_dir_users "$dir"
	stop_engines "$dir"
	for c in $(our_cgroups); do
		find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || warn "fixture: cannot remove cgroup $c"
	done
	for ns in $(our_netns); do ip netns del "$ns"; done # (takes its veths along)
	for m in $(our_mounts "$dir"); do umount -n -l "$m" || true; done
	if [ -f "$dir/created-run-netns" ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
		umount -n /run/netns 2>/dev/null || true
		rmdir /run/netns 2>/dev/null || true
	fi
	rm -rf "$dir"
	if [ "$(cat "$SW_OWNER_FILE" 2>/dev/null)" = "$dir" ]; then rm -f "$SW_OWNER_FILE"; fi
}

# leftovers DIR: what would remain of us, one line each (empty: nothing).
leftovers() {
	local dir=$1
	our_netns | sed 's/^/netns /'
	our_cgroups | sed 's/^/cgroup /'
	{ our_pids; dir_pids "$dir"; } | sort -u | sed 's/^/pid /'
	our_mounts "$dir" | sed 's/^/mount /'
	[ ! -e "$dir" ] || echo "dir $dir"
	[ ! -e "$SW_OWNER_FILE" ] || echo "file $SW_OWNER_FILE"
}

# owner_alive DIR: a fixture with state dir DIR still runs a dockerd.
owner_alive() {
	local n
	for n in $SW_NODES; do
		if pid_alive "$1/n$n/docker.pid" dockerd; then return 0; fi
	done
	return 1
}

# ---- commands ------------------------------------------------------------------

cmd_stop() {
	local left
	cleanup "$SW_DIR"
	left=$(leftovers "$SW_DIR")
	if [ -n "$left" ]; then
		warn "fixture: left behind:"
		printf '    %s\n' "$left" >&2
		return 1
	fi
	log "fixture: stopped, nothing left (main engine: $(engine_ping && echo answers || echo 'NOT answering'))"
}

cmd_start() {
	local owner t0 n
	t0=$(date +%s)
	command -v dockerd >/dev/null || die "fixture: no dockerd (Debian package docker.io)"
	engine_ping || die "fixture: the main engine does not answer on $SW_MAIN_SOCK (it provides the image)"
	owner=$(cat "$SW_OWNER_FILE" 2>/dev/null || true)
	if [ -n "$owner" ] && [ "$owner" != "$SW_DIR" ] && owner_alive "$owner"; then
		die "fixture: another one runs from $owner; stop it first (ECS_SWARM_DIR=$owner $0 stop)"
	fi
	# (the exec root holds containerd's sockets: keep it far from sun_path's 108)
	[ ${#SW_DIR} -le 60 ] || die "fixture: state dir path too long for unix sockets: $SW_DIR"
	if [ -n "$(leftovers "$SW_DIR")" ] || { [ -n "$owner" ] && [ -e "$owner" ]; }; then
		log "fixture: cleaning up what an earlier run left"
		[ -z "$owner" ] || [ "$owner" = "$SW_DIR" ] || cleanup "$owner"
		cleanup "$SW_DIR"
	fi
	mkdir -p "$SW_DIR"
	echo "$SW_DIR" >"$SW_OWNER_FILE"
	trap 'rc=$?; trap - EXIT; if [ $rc -ne 0 ]; then warn "fixture: start failed, removing what it made"; cleanup "$SW_DIR"; fi; exit $rc' EXIT
	net_up
	for n in $SW_NODES; do start_node "$n"; done
	for n in $SW_NODES; do wait_node "$n"; done
	load_image
	swarm_up
	trap - EXIT
	log "fixture: 3 nodes Ready in $(($(date +%s) - t0))s ($(for n in $SW_NODES; do printf 'n%s=%s ' "$n" "$(sw_sock "$n")"; done))"
}

cmd_status() {
	local n rc=0 state
	for n in $SW_NODES; do
		if sw_ping "$n"; then
			state=$(swd 1 node ls --filter "name=$SW_HOST$n" --format '{{.Status}}/{{.Availability}}' 2>/dev/null || true)
			echo "node $n: up, pid $(cat "$(sw_pidfile "$n")"), $(sw_sock "$n"), swarm ${state:-unknown}"
			[ "${state%%/*}" = Ready ] || rc=1
		else
			echo "node $n: down"
			rc=1
		fi
	done
	return $rc
}

node_arg() {
	case ${1:-} in 1 | 2 | 3) ;; *) die "fixture: which node (1, 2 or 3)?" ;; esac
}

cmd_kill() {
	node_arg "${1:-}"
	pid_alive "$(sw_pidfile "$1")" dockerd || die "fixture: dockerd of node $1 is not running"
	kill -KILL "$(cat "$(sw_pidfile "$1")")"
	wait_for 10 proc_gone "$(cat "$(sw_pidfile "$1")")" || { warn "timed out after 10s waiting for dockerd of node $1 to die"; false; }
	log "fixture: node $1's dockerd killed"
}

node_ready() { [ "$(swd 1 node ls --filter "name=$SW_HOST$1" --format '{{.Status}}' 2>/dev/null)" = Ready ]; }

cmd_revive() {
	node_arg "${1:-}"
	! pid_alive "$(sw_pidfile "$1")" dockerd || die "fixture: dockerd of node $1 still runs"
	# (its containerd and shims, if they outlived it, are taken over again)
	start_node "$1"
	wait_node "$1"
	wait_for 60 node_ready "$1" || { warn "timed out after 60s waiting for node $1 Ready"; false; }
	log "fixture: node $1 is back"
}

cmd_env() {
	local n
	echo "export ECS_SWARM_DIR='$SW_DIR'"
	echo "export ECS_SWARM_MANAGER='unix://$(sw_sock 1)'"
	for n in $SW_NODES; do echo "export ECS_SWARM_NODE_$n='unix://$(sw_sock "$n")'"; done
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
kill) cmd_kill "${2:-}" ;;
revive) cmd_revive "${2:-}" ;;
*) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
