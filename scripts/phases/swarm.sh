# shellcheck shell=bash
# Phase swarm: the multi-node fixture (t/swarm/fixture.sh: three dockerd in
# network namespaces of their own, a Swarm), started once for
# build/t/check_it_swarm and every executable t/swarm/test_*.sh (420 s each:
# three engines on one machine are slow when it is busy), then stopped,
# whatever failed. One fixture per machine.
# Needs: root, engine (the test image is copied from it), build.
phase_needs swarm "root engine build"

phase_swarm_start() { "$ECS_ROOT/t/swarm/fixture.sh" start 9>&-; }
phase_swarm_stop() { "$ECS_ROOT/t/swarm/fixture.sh" stop 9>&-; }
# libecs's Swarm client and backend on the fixture (check_it_swarm skips, exit
# 77, when no fixture runs: that is make check's case).
phase_swarm_it() {
	local rc=0
	(
		eval "$("$ECS_ROOT/t/swarm/fixture.sh" env)"
		cd "$BUILD/t" && ./check_it_swarm
	) 9>&- || rc=$?
	[ "$rc" != 77 ] || { echo "check_it_swarm skipped: the fixture does not answer" >&2; return 1; }
	return "$rc"
}

run_swarm() {
	local f
	built_or_skip swarm || return 0
	run_phase "swarm fixture start" 180 phase_swarm_start
	if passed; then
		run_phase "swarm check_it_swarm" 420 phase_swarm_it
		for f in "$ECS_ROOT"/t/swarm/test_*.sh; do
			[ -x "$f" ] || continue
			run_phase "swarm ${f#"$ECS_ROOT"/}" 420 phase_script "$f"
		done
	fi
	# Always: nothing of it may stay (processes, namespaces, mounts).
	run_phase "swarm fixture stop" 120 phase_swarm_stop
}
