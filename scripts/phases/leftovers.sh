# shellcheck shell=bash
# The last check of every ./bootstrap test, whatever failed: after up to 10 s
# for the reaper, any container labelled ecs.managed=true that was not there
# before the run is listed, removed, and fails the run. Containers that
# existed before are not ours to judge (or remove); with
# ECS_TEST_SHARED_ENGINE=1 (several trees on one engine) nothing is removed.
# Needs: the engine, when any phase did (without one, nothing could be left).

new_ecs_containers() { # new_ecs_containers BEFORE
	local id
	for id in $(ecs_containers); do
		grep -qx "$id" <<<"$1" || echo "$id"
	done
}
no_new_ecs_containers() { [ -z "$(new_ecs_containers "$1")" ]; }

phase_leftovers() {
	local before=$1 left id
	if ! engine_ping; then
		echo "no engine answers: no phase of this run needed one"
		return 0
	fi
	# The reaper deletes after answering: give it a moment, bounded.
	wait_for 10 no_new_ecs_containers "$before" || true
	left=$(new_ecs_containers "$before")
	if [ -z "$left" ]; then
		echo "no container labelled ecs.managed=true left"
		return 0
	fi
	warn "containers labelled ecs.managed=true left behind (removing them):"
	for id in $left; do
		"$DOCKER" ps -a --no-trunc --filter id="$id" \
			--format '    {{.ID}} {{.Image}} {{.Command}} {{.Status}} {{.Labels}}' >&2
	done
	# An engine shared with other work trees (ECS_TEST_SHARED_ENGINE=1) holds
	# their containers too: say what is there, remove nothing.
	if [ -n "${ECS_TEST_SHARED_ENGINE:-}" ]; then
		warn "ECS_TEST_SHARED_ENGINE is set: not removing them (they may be another tree's)"
		return 1
	fi
	# (the reaper may be deleting one right now: that is no excuse, still a failure)
	# shellcheck disable=SC2086 # one id per word
	"$DOCKER" rm -f $left >/dev/null 2>&1 || true
	return 1
}

run_leftovers() { run_phase "no ecs.managed containers left" 60 phase_leftovers "$1"; }
