# shellcheck shell=bash
# Phase quick, for the edit-test loop (not part of the full run): the build,
# the unit test programs and check_exports.sh (no engine), one responder
# script through FastCGI (t/fcgi/task_hello.sh: a real task on the engine),
# and every fuzzer for QUICK_FUZZ_SECONDS (default 3) beside them.
# Needs: engine, build.
phase_needs quick "engine build"

QUICK_FCGI_TEST=${QUICK_FCGI_TEST:-fcgi/task_hello.sh}
QUICK_FUZZ_SECONDS=${QUICK_FUZZ_SECONDS:-3}

quick_units() {
	run_phase "quick: unit tests" 300 make_check_some "$BUILD" "unit/check_exports.sh $(unit_tests | tr '\n' ' ')"
}
quick_fcgi() { run_phase "quick: t/$QUICK_FCGI_TEST" 120 make_check_some "$BUILD" "$QUICK_FCGI_TEST"; }
quick_fuzz() { run_phase "quick: fuzz (fuzz/run.sh $QUICK_FUZZ_SECONDS)" 300 phase_fuzz "$QUICK_FUZZ_SECONDS"; }

run_quick() {
	built_or_skip quick || return 0
	run_lanes "quick_units quick_fcgi" quick_fuzz
}
