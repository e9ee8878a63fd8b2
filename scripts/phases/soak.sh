# shellcheck shell=bash
# Phase soak: bench/soak.sh 20 4, 20 s of mixed load on a stack of its own;
# its JSON report goes to run/soak.json, the summary lines to the log.
# Its judged checks (every answer, _metrics agreement, no container left,
# the same pid, memory back after the big burst) do not depend on length;
# the RSS slope is reported, not judged: run long soaks with bench/soak.sh.
# Needs: engine, build.
phase_needs soak "engine build"

phase_soak() { SOAK_JSON=$RUN/soak.json "$ECS_ROOT/bench/soak.sh" 20 4 >/dev/null; }

run_soak() {
	built_or_skip soak || return 0
	run_phase "soak (bench/soak.sh 20 4)" 300 phase_soak
}
