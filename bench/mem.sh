#!/bin/sh
# ecs-fcgi's memory and threads: a stack of its own with the packaged
# configuration (bench/stack.sh's nginx limits opened wide, no other
# change), sampled idle after start and idle after TASKS tasks
# (bench/mem.py; bench/procmem.py says where the RSS is), beside the
# floor of its libraries (bench/lib_floor.c: the same shared objects,
# loaded and initialised by a program that does nothing else). Measures,
# asserts nothing.
#   bench/mem.sh [TASKS [CONCURRENCY]]   (ports: ECS_BENCH_PORT, default 9220..9222)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
run=$(mktemp -d)
trap 'ECS_RUN=$run "$src/scripts/stack.sh" stop >/dev/null 2>&1 || true; rm -rf "$run"' EXIT INT TERM
port=${ECS_BENCH_PORT:-9220}
ECS_NGINX_CLIENT_RATE=10000r/s ECS_NGINX_CLIENT_BURST=10000 ECS_NGINX_CLIENT_CONN=1000 \
ECS_NGINX_IP_RATE=10000r/s ECS_NGINX_IP_BURST=10000 ECS_NGINX_IP_CONN=1000 \
ECS_RUN=$run ECS_HTTPS_LISTEN=127.0.0.1:$port \
ECS_REDIRECT_LISTEN=127.0.0.1:$((port + 1)) ECS_HEALTH_LISTEN=127.0.0.1:$((port + 2)) \
	"$src/scripts/stack.sh" start >/dev/null 2>"$run/stack.err" || { cat "$run/stack.err" >&2; exit 1; }
# The libraries' floor: the shared objects ecs-fcgi needs, loaded and initialised by a program that does nothing else.
fcgi=${ECS_BUILD:-$src/build}/fcgi-app/ecs-fcgi
needed=$(readelf -d "$fcgi" | sed -n 's/.*(NEEDED).*\[lib\(.*\)\.so.*\]/-l\1/p' | grep -v '^-lc$' | tr '\n' ' ')
# shellcheck disable=SC2086 # one flag per word
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$run/lib_floor" "$src/bench/lib_floor.c" -Wl,--no-as-needed $needed
python3 "$src/bench/mem.py" "$run/ecs.env" "$(cat "$run/ecs-fcgi.pid")" "${1:-100}" "${2:-4}" "$run/lib_floor"
