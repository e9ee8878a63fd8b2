#!/bin/sh
# Build a benchmark against a build tree's libecs and run it.
# Not part of `make check`: it measures, it does not assert.
# It links the library's insides (libecs-core.a, as the tests do): the
# baseline calls the engine through the container calls the shared object
# keeps private.
#   bench/cbench.sh [BUILD_DIR] [options: -n N -e ENDPOINT -i IMAGE ...]
# BENCH names the program, bench/$BENCH.c (default task_overhead: what
# ecs_task_run adds to the bare engine; runtime_cost: runc vs runsc).
# BUILD_DIR is an out-of-tree (or in-tree) build where `make -C lib` has run;
# default: the source tree itself.
set -eu
bench=${BENCH:-task_overhead}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src
case "${1:-}" in
-*|'') ;;
*) build=$(cd "$1" && pwd); shift ;;
esac
[ -f "$src/bench/$bench.c" ] || { echo "bench/cbench.sh: no bench/$bench.c" >&2; exit 2; }
libdir=$build/lib/.libs
[ -e "$libdir/libecs-core.a" ] || { echo "bench/cbench.sh: no $libdir/libecs-core.a: run make -C $build/lib first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
# shellcheck disable=SC2046 # pkg-config's flags are words
${CC:-cc} -O2 -Wall -Wextra -Werror -std=gnu11 -I"$src/lib/include" -I"$src/lib" \
	-o "$out/$bench" "$src/bench/$bench.c" \
	"$libdir/libecs-core.a" $(pkg-config --libs libcurl json-c openssl) -lpthread
"$out/$bench" "$@"
