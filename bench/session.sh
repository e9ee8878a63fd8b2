#!/bin/sh
# Session benchmark (issue 17): starts a stack of its own (bench/stack.sh)
# with a fixed pool of 4 for ecs/busybox:latest and no adaptive pools, then
# runs bench/session.py: an exec in a live session vs a pooled task vs a
# cold task vs `docker exec` into a running container, interleaved in one
# run, ratios against `docker exec` of the same run. Measures, asserts
# nothing.
#   bench/session.sh [ROUNDS]   (ports: ECS_BENCH_PORT, default 9220..9222)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/stack.sh"
bench_stack 4 "${ECS_BENCH_PORT:-9220}"
python3 "$src/bench/session.py" "$bench_run/ecs.env" "${1:-20}"
