# shellcheck shell=bash
# Phase build: autoreconf (only when configure is older than what makes it),
# configure and make -j2 in build/, then the test programs (make check
# TESTS=), so that compiling and testing fail apart. Every phase that needs
# "build" gets this one first, whether asked for or not.
# Needs: nothing but the Debian packages.
phase_needs build ""

phase_build() { autoreconf_tree && build_tree "$BUILD" && build_tests "$BUILD"; }

# BUILD_OK: yes when this run's build passed; phases that need it skip otherwise.
BUILD_OK=no
run_build() {
	run_phase build 600 phase_build
	if passed; then BUILD_OK=yes; fi
}

# built_or_skip NAME: go on (0) when the build passed, else record NAME skipped.
built_or_skip() {
	[ "$BUILD_OK" = yes ] && return 0
	skip_phase "$1" "build failed"
	return 1
}
