# shellcheck shell=bash
# Phase fault: each executable t/fault/test_*.sh, 300 s each; each starts a
# private dockerd of its own and a stack on FAULT_PORT (default 8553), and
# kills, stops or floods that engine, never the main one.
# Needs: root, engine (the test image is copied from it), build.
phase_needs fault "root engine build"

run_fault() {
	local f
	built_or_skip fault || return 0
	for f in "$ECS_ROOT"/t/fault/test_*.sh; do
		[ -x "$f" ] || continue
		run_phase "fault ${f#"$ECS_ROOT"/}" 300 phase_script "$f"
	done
}
