# shellcheck shell=bash
# Phase e2e: the stack (scripts/stack.sh start: nginx + ecs-fcgi, writes
# run/ecs.env; its ports from ECS_HTTPS_LISTEN, ECS_REDIRECT_LISTEN and
# ECS_HEALTH_LISTEN when set), then each executable t/e2e/test_*.sh, 300 s
# each; the stack is checked before each script and restarted if down, so
# a script that breaks it fails alone. The stack is stopped at the end.
# Needs: engine, registry, build, the stack (started here).
phase_needs e2e "engine registry build"

# The stack's docs host serves the page the redocly phase builds: built here
# when that phase did not run (or failed on its lint). nginx's body timeout
# is 5 s here, not its 60: test_stalled_body reads it from the stack and
# waits that long for the same 408, instead of a minute.
phase_stack() {
	[ -f "$BUILD/docs/api/index.html" ] || { node_up && "$ECS_ROOT/scripts/api-docs.sh" build; }
	ECS_NGINX_CLIENT_BODY_TIMEOUT=${ECS_NGINX_CLIENT_BODY_TIMEOUT:-5s} stack_start
}

# The .debs test_packaging installs, built once for it and the systemd phase
# (scripts/phases/debs.sh). The build keeps the CPU busy for minutes: the plan
# runs it early (e2e.debs) beside steps that wait on the engine.
run_e2e_debs() {
	[ ! -x "$ECS_ROOT/t/e2e/test_packaging.sh" ] || [ "$BUILD_OK" != yes ] || run_debs
}

run_e2e() {
	local stack=down f found=no
	if ! stack_available; then
		:
	elif built_or_skip stack; then
		run_phase stack 300 phase_stack
		if passed; then stack=up; fi
	fi
	if [ -f "$RUN/ecs.env" ]; then
		set -a
		# shellcheck source=/dev/null
		. "$RUN/ecs.env"
		set +a
		info "e2e against $ECS_ENDPOINT"
	fi
	run_e2e_debs # (a cache hit when the plan's e2e.debs ran already)
	for f in "$ECS_ROOT"/t/e2e/test_*.sh; do
		[ -e "$f" ] || continue
		found=yes
		f=${f#"$ECS_ROOT"/}
		if [ ! -x "$f" ]; then
			skip_phase "e2e $f" "not executable"
			continue
		fi
		if [ $stack = up ] && ! "$ECS_ROOT/scripts/stack.sh" status >/dev/null 2>&1; then
			warn "the stack is down before $f: restarting it"
			"$ECS_ROOT/scripts/stack.sh" start 9>&- || true
		fi
		run_phase "e2e $f" 300 phase_script "$ECS_ROOT/$f"
	done
	[ $found = yes ] || skip_phase e2e "no t/e2e/test_*.sh"
	# What the tests started they stop: a stack left up keeps its warm pool
	# containers (and nginx on its port) after the run.
	[ $stack != up ] || run_phase "stack stop" 120 stack_stop
}
