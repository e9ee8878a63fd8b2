# shellcheck shell=bash
# Phase prometheus: t/ops/test_prometheus.sh (Debian's Prometheus on
# 127.0.0.1:9390 scraping a stack of the test's own on 9391-9393).
# Needs: engine, registry, build.
phase_needs prometheus "engine registry build"

run_prometheus() {
	built_or_skip prometheus || return 0
	run_phase "prometheus (t/ops/test_prometheus.sh)" 300 phase_script "$ECS_ROOT/t/ops/test_prometheus.sh"
}
