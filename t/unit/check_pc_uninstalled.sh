#!/bin/bash
# A program written against the man pages builds and runs from the build
# tree through lib/libecs-uninstalled.pc alone: pkg-config gives the source
# tree's headers and the build tree's library, and the run path finds it.
set -euo pipefail
BUILD_LIB=$(cd ../lib && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }
cat >"$dir/prog.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <ecs/ecs.h>

int main(void)
{
	ecs_engine *a = NULL, *b = NULL;
	int rc;

	if (ecs_global_init() != 0)
		return 2;
	rc = ecs_engine_new(&a, NULL);
	if (rc == 0)
		rc = ecs_engine_dup(&b, a);
	printf("%s %s %s\n", ecs_version(), ECS_VERSION_STRING, ecs_error_name(rc));
	ecs_engine_free(b);
	ecs_engine_free(a);
	ecs_global_cleanup();
	return rc == 0 ? 0 : 1;
}
C
export PKG_CONFIG_PATH=$BUILD_LIB
flags=$(pkg-config --cflags --libs libecs)
case $flags in *"$BUILD_LIB/.libs"*) ;; *) echo "FAIL: pkg-config gave '$flags', not the build tree"; exit 1 ;; esac
# A sanitizer build's library needs its runtime first in the program too.
san=
if nm -D "$BUILD_LIB"/.libs/libecs.so | grep ' U __asan_' >/dev/null; then san="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2086 # sanitizer and pkg-config flags, one per word
${CC:-cc} $san -Wall -Werror -o "$dir/prog" "$dir/prog.c" $flags
out=$(env -u LD_LIBRARY_PATH "$dir/prog")
# shellcheck disable=SC2086 # the program prints three words
set -- $out
# shellcheck disable=SC2015 # both are tests: the || branch runs exactly when one fails
[ "$1" = "$2" ] && [ "$3" = ECS_OK ] || { echo "FAIL: the program said '$out'"; exit 1; }
# It ran against the build tree's library, not an installed one.
libs=$(ldd "$dir/prog")
case $libs in *"$BUILD_LIB/.libs/libecs.so"*) ;; *) echo "FAIL: not linked to the build tree:"; echo "$libs"; exit 1 ;; esac
echo "1 passed, 0 failed"
