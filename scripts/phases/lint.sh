# shellcheck shell=bash
# Phase lint: t/ops/test_lint.sh (cloud-init schema, shellcheck on every
# script of ours, docs/man/check.sh).
# Needs: nothing but the Debian packages.
phase_needs lint ""

run_lint() { run_phase "lint (t/ops/test_lint.sh)" 300 phase_script "$ECS_ROOT/t/ops/test_lint.sh"; }
