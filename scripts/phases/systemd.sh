# shellcheck shell=bash
# Phase systemd: t/ops/test_systemd.sh, the .debs built from HEAD installed
# and booted by systemd in a Debian 12 root (cached in build/systemd/base).
# Its packages come from the debs step (scripts/phases/debs.sh), shared with
# e2e's test_packaging, so it does not need the build phase.
# Needs: root, engine (its socket is bound into the machine).
phase_needs systemd "root engine"

# The Debian root it boots (cached in build/systemd/base): on a fresh tree a
# few minutes of Debian's archive, mostly waiting on the network, so a plan
# entry of its own (systemd.base) makes it early, beside steps that use the
# CPU; the test then finds it made.
phase_systemd_base() { "$ECS_ROOT/t/ops/test_systemd.sh" --base-only; }
run_systemd_base() {
	[ "$(id -u)" = 0 ] || return 0 # (the test says why it cannot run)
	STEP_NICE=10 run_phase "systemd base root (debootstrap)" 1200 phase_systemd_base
}

run_systemd() {
	run_debs # (built by the e2e phase already when it ran: scripts/phases/debs.sh)
	run_phase "systemd (t/ops/test_systemd.sh)" 1500 phase_script "$ECS_ROOT/t/ops/test_systemd.sh"
}
