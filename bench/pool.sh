#!/bin/sh
# Warm pool benchmark: starts a stack of its own (nginx + TLS + ecs-fcgi) with
# a fixed pool of 8 for ecs/busybox:latest and no adaptive pools, then runs
# bench/pool.py: cold vs pooled vs the bare engine vs `docker run`,
# interleaved, 1 client and a burst of 8. Measures, asserts nothing.
#   bench/pool.sh [ROUNDS]   (ports: ECS_BENCH_PORT, default 9210..9212)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
port=${ECS_BENCH_PORT:-9210}
run=$(mktemp -d)
conf=$run/base.conf
trap 'ECS_RUN=$run "$src/scripts/stack.sh" stop >/dev/null 2>&1 || true; rm -rf "$run"' EXIT INT TERM
{
	sed '/^#\[pool/,$d' "$src/packaging/ecs.conf"
	echo "[ecs]"
	echo "pool_adaptive = no"
	echo "pool_budget = 8"
	echo "pool_refill_concurrency = 2"
	echo "[pool \"ecs/busybox:latest\"]"
	echo "size = 8"
} | awk '/^\[ecs\]$/ { if (seen++) next } { print }' > "$conf"
# nginx's per-client limits are for the internet, not for a burst from one bench client
export ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
	ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000
ECS_RUN=$run ECS_CONFIG=$conf ECS_HTTPS_LISTEN=127.0.0.1:$port ECS_REDIRECT_LISTEN=127.0.0.1:$((port + 1)) \
	ECS_HEALTH_LISTEN=127.0.0.1:$((port + 2)) "$src/scripts/stack.sh" start >/dev/null
python3 "$src/bench/pool.py" "$run/ecs.env" "${1:-20}"
