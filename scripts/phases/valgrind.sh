# shellcheck shell=bash
# Phase valgrind: each unit test program (build/t/check_* that is not
# check_it_* and not a script) alone under valgrind with CK_FORK=no: no
# error, no leak definitely or indirectly lost. One result line each.
# Needs: build, pg (check_store runs its PostgreSQL fixture under valgrind too).
phase_needs valgrind "build pg"

# unit_tests: the names of the unit test programs in build/t.
unit_tests() {
	local f
	for f in "$BUILD"/t/check_*; do
		case ${f##*/} in
		check_it_* | *.sh | *.c | *.o | *.log | *.trs) continue ;;
		esac
		if [ -f "$f" ] && [ -x "$f" ]; then printf '%s\n' "${f##*/}"; fi
	done
}

phase_valgrind() {
	cd "$BUILD/t" || return
	srcdir=$ECS_ROOT/t CK_FORK=no ../libtool --mode=execute \
		valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"./$1"
}

run_valgrind() {
	local units name
	built_or_skip valgrind || return 0
	units=$(unit_tests)
	[ -n "$units" ] || { skip_phase valgrind "no unit test programs in build/t"; return 0; }
	for name in $units; do
		run_phase "valgrind t/$name" 300 phase_valgrind "$name"
	done
}
