# shellcheck shell=bash
# Phase runsc: the libecs task suite (check_it_task) and the files and
# artifacts suite (check_it_files: its path attacks, since gVisor once let a
# planted symlink through where runc did not) once more with
# ECS_TEST_RUNTIME=runsc, every task under gVisor (t/lib/it_util.c puts it
# into each sandbox profile), then the parity of cold and pooled answers
# under gVisor (a user of its own: both under ecs-agent); the rest does not
# depend on the runtime.
# Skipped, saying so, when the engine has no runsc runtime.
# Needs: engine, registry, build.
phase_needs runsc "engine registry build"

RUNSC_TESTS="check_it_task check_it_files"

run_runsc() {
	if ! built_or_skip "make check (runsc)"; then
		return 0
	elif ! engine_has_runtime runsc; then
		skip_phase "make check (runsc)" "the engine has no runsc runtime (see the setup log)"
	else
		run_phase "make check (runsc)" 600 make_check_some "$BUILD" "$RUNSC_TESTS" ECS_TEST_RUNTIME=runsc
		run_phase "t/fcgi pool parity (runsc)" 600 make_check_some "$BUILD" fcgi/pool_parity.sh \
			ECS_TEST_POOL=1 ECS_TEST_RUNTIME=runsc
	fi
}
