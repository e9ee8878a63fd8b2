# shellcheck shell=bash
# t/swarm/fleet_lib.sh — the fleet on the fixture: one ecs stack (nginx +
# ecs-fcgi, scripts/stack.sh) per node, each on its own node's engine, behind
# HAProxy in TCP mode (layer 4: TLS passes through to nginx), with health
# checks on each node's unauthenticated probe listener. Sourced by
# t/swarm/test_fleet.sh and bench/fleet.sh after t/swarm/lib.sh.
#
# Ports, from FLEET_PORT (default 8570): HAProxy's frontend FLEET_PORT; node
# N's HTTPS FLEET_PORT+3N-2, redirect +3N-1, probe +3N. All on 127.0.0.1.
# State: $FLEET_DIR (certs/ shared by every node, nN/ = node N's ECS_RUN,
# haproxy.cfg, haproxy.sock, haproxy.log).

FLEET_PORT=${FLEET_PORT:-8570}
FLEET_DIR=${FLEET_DIR:-$SW_DIR/fleet}
FLEET_STACK=$SW_REPO/scripts/stack.sh
FLEET_ENDPOINT=https://127.0.0.1:$FLEET_PORT
# Each node's background engine check (ecs.conf engine_check_interval, s),
# and HAProxy's probe: every FLEET_INTER_MS, FLEET_FALL failures take a node
# out. A node whose engine dies is out within 2 x the first plus fall x inter.
FLEET_CHECK_INTERVAL=${FLEET_CHECK_INTERVAL:-1}
FLEET_INTER_MS=${FLEET_INTER_MS:-500}
FLEET_FALL=${FLEET_FALL:-2}

fleet_https_port() { echo $((FLEET_PORT + 3 * $1 - 2)); }
fleet_probe_port() { echo $((FLEET_PORT + 3 * $1)); }
fleet_run() { echo "$FLEET_DIR/n$1"; }

# fleet_node_stack N start|stop|stop-fcgi|start-fcgi|status: scripts/stack.sh
# for node N, with its own ECS_RUN, ports, and config (node N's engine).
fleet_node_stack() {
	local n=$1 p
	p=$(fleet_https_port "$n")
	ECS_RUN=$(fleet_run "$n") ECS_CONFIG=$(fleet_run "$n")/base.conf \
		ECS_HTTPS_LISTEN=127.0.0.1:$p ECS_REDIRECT_LISTEN=127.0.0.1:$((p + 1)) \
		ECS_HEALTH_LISTEN=127.0.0.1:$((p + 2)) \
		ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
		ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
		"$FLEET_STACK" "$2"
}

# With FLEET_STORE_DSN set, every node's task store is that one PostgreSQL
# database (one queue for the fleet), node N is "fleet-nN" in it, and a
# node's running tasks are INTERRUPTED FLEET_STORE_LEASE seconds after it
# stopped renewing them. Unset: each node keeps its own SQLite file.
FLEET_STORE_DSN=${FLEET_STORE_DSN:-}
FLEET_STORE_LEASE=${FLEET_STORE_LEASE:-3}
fleet_node_name() { echo "fleet-n$1"; }

# fleet_prepare_node N: node N's state dir with the fleet's certificates and
# BASIC secret (a client of the balancer must be able to land on any node),
# and its config: node N's engine, no pulls (the image is loaded), no network;
# the fleet's store when FLEET_STORE_DSN is set.
fleet_prepare_node() {
	local n=$1 r
	r=$(fleet_run "$n")
	mkdir -p "$r"
	cp -a "$FLEET_DIR/certs" "$r/"
	cp -a "$FLEET_DIR/basic.secret" "$r/"
	cat >"$r/base.conf" <<EOF
# Written by t/swarm/fleet_lib.sh: fleet node $n.
[ecs]
docker_remote_api = unix://$(sw_sock "$n")
pull_policy = never
default_network = none
engine_check_interval = $FLEET_CHECK_INTERVAL
EOF
	[ -n "$FLEET_STORE_DSN" ] || return 0
	cat >>"$r/base.conf" <<EOF
store = postgresql
store_dsn = $FLEET_STORE_DSN
store_lease = $FLEET_STORE_LEASE
node_name = $(fleet_node_name "$n")
EOF
}

fleet_write_haproxy() {
	local n
	{
		cat <<EOF
# Written by t/swarm/fleet_lib.sh. Layer 4: TLS passes through to each
# node's nginx, which verifies the client certificate as it would alone.
global
    # iso: each state change stamped to the microsecond (test_fleet times the DOWN by it)
    log stderr format iso local0 info
    stats socket $FLEET_DIR/haproxy.sock mode 600 level admin
    maxconn 1000

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout check 2s
    # A connection the chosen node refuses goes to another one.
    retries 2
    option redispatch

frontend ecs_tls
    bind 127.0.0.1:$FLEET_PORT
    default_backend ecs_nodes

backend ecs_nodes
    # A task holds its connection while it runs: the node with the fewest.
    balance leastconn
    # The probe listener: plain HTTP, no credentials, the quick check only,
    # which answers 503 once the node's engine failed its background check.
    # HEAD, as many balancers probe: the same status as GET, no body.
    option httpchk HEAD /v1.1/_health
    http-check expect status 200
    default-server inter ${FLEET_INTER_MS}ms fall $FLEET_FALL rise 2
EOF
		for n in $SW_NODES; do
			echo "    server n$n 127.0.0.1:$(fleet_https_port "$n") check port $(fleet_probe_port "$n")"
		done
	} >"$FLEET_DIR/haproxy.cfg"
}

# hap COMMAND: HAProxy's answer on its admin socket.
hap() {
	python3 - "$FLEET_DIR/haproxy.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
EOF
}

# fleet_server_state N: UP, DOWN, ... as HAProxy sees node N now.
fleet_server_state() {
	hap "show stat" 2>/dev/null | awk -F, -v s="n$1" '$1 == "ecs_nodes" && $2 == s { print $18 }'
}
fleet_state_is() { [ "$(fleet_server_state "$1")" = "$2" ]; }
fleet_all_up() {
	local n
	for n in $SW_NODES; do fleet_state_is "$n" UP || return 1; done
}

# fleet_start: the three stacks and HAProxy; returns when HAProxy sees every
# node UP. Writes $FLEET_DIR/ecs.env for clients of the balancer.
fleet_start() {
	local n
	mkdir -p "$FLEET_DIR"
	"$SW_REPO/scripts/make-certs.sh" demo "$FLEET_DIR/certs" >/dev/null
	[ -s "$FLEET_DIR/basic.secret" ] || (umask 077 && openssl rand -hex 16 >"$FLEET_DIR/basic.secret")
	local pids="" p rc=0
	for n in $SW_NODES; do
		fleet_prepare_node "$n"
		# (in parallel: each has its own run dir, ports and engine)
		fleet_node_stack "$n" start 2>"$(fleet_run "$n")/stack-start.log" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || rc=1; done
	for n in $SW_NODES; do cat "$(fleet_run "$n")/stack-start.log" >>"$FLEET_DIR/stacks.log"; done
	[ $rc = 0 ] || { tail -n 30 "$FLEET_DIR/stacks.log" >&2; return 1; }
	fleet_write_haproxy
	haproxy -c -q -f "$FLEET_DIR/haproxy.cfg" || return 1
	start_daemon "$FLEET_DIR/haproxy.pid" "$FLEET_DIR/haproxy.log" haproxy -db -f "$FLEET_DIR/haproxy.cfg"
	wait_daemon 20 haproxy "$FLEET_DIR/haproxy.pid" "$FLEET_DIR/haproxy.log" fleet_all_up || return 1
	sed "s|^ECS_ENDPOINT=.*|ECS_ENDPOINT='$FLEET_ENDPOINT'|" "$(fleet_run 1)/ecs.env" >"$FLEET_DIR/ecs.env"
}

# fleet_stop: HAProxy and every node's stack (whatever state they are in).
fleet_stop() {
	local n
	stop_daemon "$FLEET_DIR/haproxy.pid" haproxy 10 >/dev/null
	for n in $SW_NODES; do
		[ -d "$(fleet_run "$n")" ] && fleet_node_stack "$n" stop 2>/dev/null
	done
	return 0
}

# fleet_remove_managed: remove every ecs.managed container on every node;
# prints how many there were (0: nothing was left).
fleet_remove_managed() {
	local n ids count=0
	for n in $SW_NODES; do
		ids=$(sw_managed_ids "$n")
		[ -z "$ids" ] && continue
		count=$((count + $(wc -w <<<"$ids")))
		# shellcheck disable=SC2086 # one id per word
		swd "$n" rm -f $ids >/dev/null 2>&1 || true
	done
	echo "$count"
}

# fleet_batch DIR COUNT CONC ENDPOINT SECONDS: COUNT tasks `sleep SECONDS;
# echo fleet-I`, CONC at a time, to ENDPOINT; for task I, DIR/I.status
# (HTTP status, 000 when curl got none), DIR/I.ctype, DIR/I.time (seconds)
# and DIR/I.body. Each request is bounded (--max-time 60). Needs
# ECS_CA_CERT, ECS_CLIENT_CERT, ECS_CLIENT_KEY, ECS_KEY, ECS_SECRET.
fleet_batch() {
	local dir=$1 count=$2 conc=$3 endpoint=$4 secs=$5
	mkdir -p "$dir"
	export ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET SW_IMAGE
	# shellcheck disable=SC2016 # expanded by bash -c
	seq "$count" | xargs -P "$conc" -I{} bash -c '
		i=$1 dir=$2 ep=$3 secs=$4
		out=$(curl -sS -o "$dir/$i.body" -w "%{http_code} %{content_type} %{time_total}" \
			--max-time 60 --cacert "$ECS_CA_CERT" --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
			--user "$ECS_KEY:$ECS_SECRET" -H "Content-Type: application/json" \
			--data "{\"docker_image\": \"$SW_IMAGE\", \"cmd\": [\"sh\", \"-c\", \"sleep $secs; echo fleet-$i\"]}" \
			"$ep/v1.1/tasks" 2>"$dir/$i.err") || out="000 - 0"
		set -- $out
		echo "$1" >"$dir/$i.status"; echo "$2" >"$dir/$i.ctype"; echo "$3" >"$dir/$i.time"
	' _ {} "$dir" "$endpoint" "$secs"
}

# fleet_check_answer DIR I: task I answered 201 with its own output, or a
# clean JSON error (a JSON document with status and code, that status
# being the HTTP status). Prints "ok", "error STATUS CODE" or "bad: WHY".
fleet_check_answer() {
	local dir=$1 i=$2 st out
	st=$(cat "$dir/$i.status")
	case $(cat "$dir/$i.ctype") in
	application/json*) ;;
	*) echo "bad: HTTP $st, content type $(cat "$dir/$i.ctype"), $(head -c 200 "$dir/$i.body" 2>/dev/null) $(cat "$dir/$i.err")"; return ;;
	esac
	if [ "$st" = 201 ]; then
		out=$(jq -r .stdout "$dir/$i.body" 2>/dev/null | base64 -d 2>/dev/null)
		if [ "$out" = "fleet-$i" ] && [ "$(jq -r .exitCode "$dir/$i.body")" = 0 ]; then
			echo ok
		else
			echo "bad: 201 with stdout '$out', $(head -c 200 "$dir/$i.body")"
		fi
	elif [ "$(jq -r .status "$dir/$i.body" 2>/dev/null)" = "$st" ] &&
		[ -n "$(jq -r '.code // empty' "$dir/$i.body" 2>/dev/null)" ]; then
		echo "error $st $(jq -r .code "$dir/$i.body")"
	else
		echo "bad: HTTP $st, not an ecs error document: $(head -c 200 "$dir/$i.body")"
	fi
}

# fleet_task_nodes SINCE UNTIL: "TASK-ID N" for every ecs container created
# on node N between the two unix times (from each node's own events).
fleet_task_nodes() {
	local n
	for n in $SW_NODES; do
		swd "$n" events --since "$1" --until "$2" --filter type=container --filter event=create \
			--filter label=ecs.managed=true --format '{{index .Actor.Attributes "ecs.task-id"}}' |
			sed "s/\$/ $n/"
	done
}
