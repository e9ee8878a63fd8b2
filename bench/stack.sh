# shellcheck shell=sh
# bench/stack.sh, sourced by the stack benchmarks (pool.sh, session.sh):
#   bench_stack SIZE PORT
# starts a stack of their own (nginx + TLS + ecs-fcgi, ports PORT..PORT+2)
# with a fixed pool of SIZE for ecs/busybox:latest and no adaptive pools;
# nginx's per-client limits (for the internet, not for one bench client)
# opened wide. Sets bench_run (the stack's run dir: its ecs.env); the stack
# is stopped and the directory removed on exit. The caller sets src (the
# source tree).
# shellcheck disable=SC2154 # src is the caller's
bench_stack() {
	bench_run=$(mktemp -d)
	# shellcheck disable=SC2064 # the directory is known now
	trap "ECS_RUN=$bench_run '$src/scripts/stack.sh' stop >/dev/null 2>&1 || true; rm -rf '$bench_run'" EXIT INT TERM
	{
		sed '/^#\[pool/,$d' "$src/packaging/ecs.conf"
		echo "[ecs]"
		echo "pool_adaptive = no"
		echo "pool_budget = $1"
		echo "pool_refill_concurrency = 2"
		echo "[pool \"ecs/busybox:latest\"]"
		echo "size = $1"
	} | awk '/^\[ecs\]$/ { if (seen++) next } { print }' > "$bench_run/base.conf"
	ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
	ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
	ECS_RUN=$bench_run ECS_CONFIG=$bench_run/base.conf ECS_HTTPS_LISTEN=127.0.0.1:$2 \
	ECS_REDIRECT_LISTEN=127.0.0.1:$(($2 + 1)) ECS_HEALTH_LISTEN=127.0.0.1:$(($2 + 2)) \
		"$src/scripts/stack.sh" start >/dev/null
}
