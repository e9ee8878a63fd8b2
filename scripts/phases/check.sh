# shellcheck shell=bash
# Phase check: make -C build check, serially (the integration tests share one
# engine): the unit tests, check_exports.sh and friends, the libecs
# integration tests (t/it/) and the responder's scripts (t/fcgi/). Left to
# the san phase's make check when both are asked for: that one is a strict
# superset on an instrumented build.
# Needs: engine, registry, build, pg (check_store and check_it_store_pg on PostgreSQL).
phase_needs check "engine registry build pg"

# make_check DIR: make check; on failure, the harness's test-suite.log
# (which holds the failed tests' own logs).
make_check() {
	local dir=$1 f
	# (every test the runsc and pooled phases may run beside it)
	lock_tests "$dir" "$RUNSC_TESTS $POOLED_TESTS $POOLED_FCGI_TESTS $POOL_PARITY_TESTS"
	forget_private_image
	if make -C "$dir" check; then
		return 0
	fi
	while IFS= read -r f; do
		if grep -Eq '^# (FAIL|ERROR|XPASS): +[1-9]' "$f"; then
			log "${f#"$ECS_ROOT"/}:"
			cat "$f"
		fi
	done < <(find "$dir" -name test-suite.log)
	return 1
}

# lock_tests DIR TESTS: hold a lock per test of DIR/t until this step's
# process ends. Phases side by side may run one test each (runsc and pooled
# both run check_it_task), and a test has one .log and one .trs: the second
# waits for the first. Taken in sorted order, so two steps never deadlock.
lock_tests() {
	local t fd
	# shellcheck disable=SC2086 # one word per test
	for t in $(printf '%s\n' $2 | sort -u); do
		exec {fd}>"$1/t/.lock.${t//\//_}"
		flock "$fd"
	done
}

# make_check_some DIR TESTS [VAR=VALUE...]: make check TESTS=... in DIR/t
# with the variables; on failure, the failed tests' logs only.
make_check_some() {
	local dir=$1 tests=$2 t
	shift 2
	lock_tests "$dir" "$tests"
	forget_private_image
	if env "$@" make -C "$dir/t" check TESTS="$tests"; then
		return 0
	fi
	for t in $tests; do
		if grep -qs '^:test-result: \(FAIL\|ERROR\)' "$dir/t/$t.trs"; then cat "$dir/t/$t.log"; fi
	done
	return 1
}

run_check() {
	if wanted san; then
		skip_phase "make check" "the same tests run in make check (sanitizers)"
	elif built_or_skip "make check"; then
		run_phase "make check" 600 make_check "$BUILD"
	fi
}
