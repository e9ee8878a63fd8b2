# shellcheck shell=bash
# Phase pooled: the libecs task suite with ECS_TEST_POOL=1 (every task through
# a warm pool, ecs-agent as PID 1), then the responder's task scripts the same
# way (t/fcgi/lib.sh: a [pool] section, and every 201 must say pooled), then
# the parity of cold and pooled answers.
# Needs: engine, registry, build.
phase_needs pooled "engine registry build"

POOLED_TESTS="check_it_task"
POOLED_FCGI_TESTS="fcgi/task_hello.sh fcgi/task_hello_slash.sh fcgi/task_exit_code.sh fcgi/task_streams.sh \
	fcgi/task_body_3k.sh fcgi/task_missing_command.sh fcgi/task_not_executable.sh fcgi/task_extensions.sh \
	fcgi/task_capture.sh fcgi/task_self_kill.sh fcgi/task_oom.sh fcgi/task_interleave.sh fcgi/task_stdin_env.sh \
	fcgi/task_truncation.sh fcgi/task_timeout.sh fcgi/client_abort.sh fcgi/no_container_left.sh \
	fcgi/task_files.sh fcgi/task_files_refused.sh fcgi/task_body_limit.sh"
POOL_PARITY_TESTS="fcgi/pool_parity.sh"

run_pooled() {
	built_or_skip "make check (pooled)" || return 0
	# (check_it_task last: the runsc phase, beside, starts with it)
	run_phase "t/fcgi (pooled)" 420 make_check_some "$BUILD" "$POOLED_FCGI_TESTS" ECS_TEST_POOL=1
	run_phase "t/fcgi pool parity (cold vs pooled)" 420 make_check_some "$BUILD" "$POOL_PARITY_TESTS" ECS_TEST_POOL=1
	run_phase "make check (pooled)" 900 make_check_some "$BUILD" "$POOLED_TESTS" ECS_TEST_POOL=1
}
