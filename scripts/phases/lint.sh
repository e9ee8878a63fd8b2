# shellcheck shell=bash
# Phase lint: t/ops/test_lint.sh (cloud-init schema, shellcheck on every
# script of ours, docs/man/check.sh).
# Needs: nothing but the Debian packages.
phase_needs lint ""

# phase_script PATH: run one test script as a phase.
phase_script() { "$1"; }

run_lint() { run_phase "lint (t/ops/test_lint.sh)" 300 phase_script "$ECS_ROOT/t/ops/test_lint.sh"; }
