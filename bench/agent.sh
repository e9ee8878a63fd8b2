#!/bin/sh
# Pooled (ecs-agent in a pre-started container) vs cold `docker run --rm`,
# interleaved in one run, plus the idle cost of a waiting pooled container.
# Measures, asserts nothing; not part of `make check`.
#   bench/agent.sh [BUILD_DIR] [-n N]       (BUILD_DIR default: build/, where make has run)
# Every container it makes carries ecs.managed=true and ecs.bench=agent-<pid>;
# they are removed at the end, also when interrupted.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
case "${1:-}" in
-*|'') ;;
*) build=$(cd "$1" && pwd); shift ;;
esac
agent=$build/agent/ecs-agent
[ -x "$agent" ] || { echo "bench/agent.sh: no $agent: run make -C $build first" >&2; exit 1; }
DOCKER=${DOCKER:-/usr/bin/docker}
label=ecs.bench=agent-$$
out=$(mktemp -d)
cleanup() {
	ids=$("$DOCKER" ps -aq --filter "label=$label")
	# shellcheck disable=SC2086 # one container id per word
	[ -z "$ids" ] || "$DOCKER" rm -f $ids >/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
${CC:-cc} -O2 -Wall -Wextra -Werror -std=gnu11 -I"$build" -I"$src/agent" \
	-o "$out/agent" "$src/bench/agent.c" "$src/agent/raw_client.c" "$src/agent/proto.c"
"$DOCKER" image inspect "${ECS_TEST_IMAGE:-ecs/busybox:latest}" >/dev/null
"$out/agent" "$agent" -l "$label" -d "$DOCKER" "$@"
