#!/bin/sh
# Build bench/task_overhead against a build tree's libecs and run it.
# Not part of `make check`: it measures, it does not assert.
#   bench/run.sh [BUILD_DIR] [task_overhead options: -n N -e ENDPOINT -i IMAGE]
# BUILD_DIR is an out-of-tree (or in-tree) build where `make -C lib` has run;
# default: the source tree itself.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src
case "${1:-}" in
-*|'') ;;
*) build=$(cd "$1" && pwd); shift ;;
esac
libdir=$build/lib/.libs
[ -e "$libdir/libecs.so" ] || { echo "bench/run.sh: no $libdir/libecs.so: run make -C $build/lib first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
${CC:-cc} -O2 -Wall -Wextra -Werror -std=gnu11 -I"$src/lib/include" \
	-o "$out/task_overhead" "$src/bench/task_overhead.c" \
	-L"$libdir" -lecs -Wl,-rpath,"$libdir"
"$out/task_overhead" "$@"
