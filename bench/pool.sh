#!/bin/sh
# Warm pool benchmark: starts a stack of its own (bench/stack.sh) with a
# fixed pool of 8 for ecs/busybox:latest and no adaptive pools, then runs
# bench/pool.py: cold vs pooled vs the bare engine vs `docker run`,
# interleaved, 1 client and a burst of 8. Measures, asserts nothing.
#   bench/pool.sh [ROUNDS]   (ports: ECS_BENCH_PORT, default 9210..9212)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/stack.sh"
bench_stack 8 "${ECS_BENCH_PORT:-9210}"
python3 "$src/bench/pool.py" "$bench_run/ecs.env" "${1:-20}"
