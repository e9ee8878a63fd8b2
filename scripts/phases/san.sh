# shellcheck shell=bash
# Phase san: a second build in build-san/ with --enable-sanitizers (ASan and
# UBSan), then its make check with ASAN_OPTIONS=detect_leaks=1 and
# UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1. It builds its own tree,
# so it does not need the build phase.
# Needs: engine, registry.
phase_needs san "engine registry"

phase_build_san() { autoreconf_tree && build_tree "$BUILD_SAN" --enable-sanitizers && build_tests "$BUILD_SAN"; }

phase_check_san() {
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make_check "$BUILD_SAN"
}

run_san() {
	run_phase "build-san (--enable-sanitizers)" 600 phase_build_san
	if passed; then
		run_phase "make check (sanitizers)" 900 phase_check_san
	else
		skip_phase "make check (sanitizers)" "build-san failed"
	fi
}
