#!/bin/bash
# A program written from the man pages alone (t/it/api_program.c) builds
# against the public headers and the shared library the way a user builds
# it (pkg-config, here the build tree's libecs-uninstalled.pc), runs a task
# on the real engine and reads its result through the public API only.
set -euo pipefail
BUILD_LIB=$(cd ../lib && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }
export PKG_CONFIG_PATH=$BUILD_LIB
flags=$(pkg-config --cflags --libs libecs)
san=
if nm -D "$BUILD_LIB"/.libs/libecs.so | grep ' U __asan_' >/dev/null; then san="-fsanitize=address,undefined"; fi
# Only the public headers: the source tree's lib/ (private headers) is not on the path.
# shellcheck disable=SC2086 # sanitizer and pkg-config flags, one per word
${CC:-cc} $san -std=c11 -Wall -Wextra -Werror -o "$dir/api_program" "${srcdir:-.}/it/api_program.c" $flags
rc=0
# the build's agent: a fresh machine has no installed one yet
out=$(env -u LD_LIBRARY_PATH "$dir/api_program" "${ECS_TEST_IMAGE:-ecs/busybox:latest}" \
	"$(cd ../agent && pwd)/ecs-agent") || rc=$?
fail=0
[ "$rc" -eq 3 ] || { echo "FAIL: exit $rc, want the task's 3"; fail=1; }
case $out in
*"hello from the api"*"stderr=to stderr"*"bytes=19,10 pooled=0 timed_out=0 image=sha256:"*) ;;
*) echo "FAIL: output: $out"; fail=1 ;;
esac
[ $fail -eq 0 ] || exit 1
echo "1 passed, 0 failed"
