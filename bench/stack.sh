# shellcheck shell=sh
# bench/stack.sh, sourced by the stack benchmarks (pool.sh, session.sh,
# async.sh):
#   bench_stack SIZE PORT
# starts a stack of their own (nginx + TLS + ecs-fcgi, ports PORT..PORT+2)
# with a fixed pool of SIZE for ecs/busybox:latest and no adaptive pools;
# nginx's per-client limits (for the internet, not for one bench client)
# opened wide. Sets bench_run (the stack's run dir: its ecs.env); the stack
# is stopped and the directory removed on exit. The caller sets src (the
# source tree).
#   bench_stack_start DIR SIZE PORT [ECS_LINES]
#   bench_stack_stop DIR
# the same stack in DIR (which the caller owns and removes), ECS_LINES
# (keys, one a line) added to its [ecs] section; for a bench that starts
# several stacks one after another and keeps its own trap.
# shellcheck disable=SC2154 # src is the caller's
bench_stack_start() {
	{
		sed '/^#\[pool/,$d' "$src/packaging/ecs.conf"
		echo "[ecs]"
		echo "pool_adaptive = no"
		echo "pool_budget = $2"
		echo "pool_refill_concurrency = 2"
		[ -z "${4:-}" ] || printf '%s\n' "$4"
		echo "[pool \"ecs/busybox:latest\"]"
		echo "size = $2"
	} | awk '/^\[ecs\]$/ { if (seen++) next } { print }' > "$1/base.conf"
	# The client certificate alone, unless ECS_BENCH_AUTH says otherwise: BASIC auth has
	# nginx hash the password (SHA-512 crypt, 5000 rounds) on every request, about
	# 6 ms of a worker's CPU here, which is the operator's choice, not ecs's path.
	ECS_AUTH="${ECS_BENCH_AUTH:-client-cert}" \
	ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
	ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
	ECS_RUN=$1 ECS_CONFIG=$1/base.conf ECS_HTTPS_LISTEN=127.0.0.1:$3 \
	ECS_REDIRECT_LISTEN=127.0.0.1:$(($3 + 1)) ECS_HEALTH_LISTEN=127.0.0.1:$(($3 + 2)) \
		"$src/scripts/stack.sh" start >/dev/null
}

bench_stack_stop() {
	ECS_RUN=$1 "$src/scripts/stack.sh" stop >/dev/null 2>&1 || true
}

bench_stack() {
	bench_run=$(mktemp -d)
	# shellcheck disable=SC2064 # the directory is known now
	trap "bench_stack_stop '$bench_run'; rm -rf '$bench_run'" EXIT INT TERM
	bench_stack_start "$bench_run" "$1" "$2"
}
