# shellcheck shell=bash
# Phase san: a second build in build-san/ with --enable-sanitizers (ASan and
# UBSan), then its make check with ASAN_OPTIONS=detect_leaks=1 and
# UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1. It builds its own tree,
# so it does not need the build phase.
#
# Two plan entries (PHASE_PLAN in ./bootstrap): san.build, the compile, runs
# beside phases that mostly wait on the engine; san.check, the make check,
# later, in two lanes, each its own test-suite log: the libecs integration
# tests (t/it/, the task store's) beside the responder's scripts (t/fcgi/)
# then the unit tests and build checks. The two kinds share the engine and
# keep out of each other's way: each t/fcgi script has its own instance
# directory, store and markers; the private image is taken under one lock
# (it_lock_private_image(), private_image_lock); what check_it_reaper plants
# past its deadline is fair game for any sweeper, and it says so. Both
# mostly wait on the engine: side by side they take about half the time.
# Needs: engine, registry, pg (the same tests on PostgreSQL).
phase_needs san "engine registry pg"

SAN_BUILD_STEP="build-san (--enable-sanitizers)"
# The harness's own TESTS lists (t/Makefile.am), expanded by make.
SAN_UNIT_TESTS='unit/check_exports.sh unit/check_daemon_json.sh unit/check_pc_uninstalled.sh $(LIB_UNIT) $(FCGI_UNIT)'
SAN_IT_TESTS='it/check_it_api_program.sh $(LIB_IT) $(FCGI_IT)'
SAN_FCGI_TESTS='$(FCGI_IT_SH)'

phase_build_san() { autoreconf_tree && build_tree "$BUILD_SAN" --enable-sanitizers && build_tests "$BUILD_SAN"; }

# phase_check_san TESTS LOG: make check of TESTS in build-san/t, its summary
# in LOG (two lanes must not share test-suite.log); on failure, that log
# (which holds the failed tests' own logs).
phase_check_san() {
	local tests=$1 suite=$2
	# (ECS_SWARM_DIR: no fixture there, so check_it_swarm skips, as under
	# every make check, even while the swarm phase's fixture runs beside)
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ECS_SWARM_DIR=$RUN/no-swarm-fixture ECS_SWARM_MANAGER='' \
		make -C "$BUILD_SAN/t" check TESTS="$tests" TEST_SUITE_LOG="$suite"; then
		return 0
	fi
	log "${BUILD_SAN#"$ECS_ROOT"/}/t/$suite:"
	cat "$BUILD_SAN/t/$suite"
	return 1
}

# The build's result, also seen from the lane that did not run it.
san_built() { grep -q "^PASS  *$SAN_BUILD_STEP" "$RESULTS_FILE"; }

# (900 s: it now shares the machine with runsc, pooled, the .debs and the
# systemd root; a limit catches a hang, it is no budget)
run_san_build() { STEP_NICE=10 run_phase "$SAN_BUILD_STEP" 900 phase_build_san; }
san_units() { run_phase "make check (sanitizers): unit" 600 phase_check_san "$SAN_UNIT_TESTS" unit-suite.log; }
# (the private image goes before the integration tests only: they pull it,
# and it is gone before the lanes start)
phase_check_san_its() { phase_check_san "$SAN_IT_TESTS" it-suite.log; }
phase_check_san_fcgi() { phase_check_san "$SAN_FCGI_TESTS" fcgi-suite.log; }
san_its() { run_phase "make check (sanitizers): t/it" 900 phase_check_san_its; }
san_fcgi() { run_phase "make check (sanitizers): t/fcgi" 900 phase_check_san_fcgi; }
run_san_check() {
	if san_built; then
		forget_private_image
		run_lanes san_its "san_fcgi san_units"
	else
		skip_phase "make check (sanitizers)" "build-san failed"
	fi
}
