# shellcheck shell=bash
# Phase systemd: t/ops/test_systemd.sh, the .debs built from HEAD installed
# and booted by systemd in a Debian 12 root (cached in build/systemd/base).
# Its packages come from the debs step (scripts/phases/debs.sh), shared with
# e2e's test_packaging, so it does not need the build phase.
# Needs: root, engine (its socket is bound into the machine).
phase_needs systemd "root engine"

run_systemd() {
	run_debs # (built by the e2e phase already when it ran: scripts/phases/debs.sh)
	run_phase "systemd (t/ops/test_systemd.sh)" 1500 phase_script "$ECS_ROOT/t/ops/test_systemd.sh"
}
