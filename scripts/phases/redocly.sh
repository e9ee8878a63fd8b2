# shellcheck shell=bash
# Phase redocly: t/ops/test_redocly.sh (redocly lint of docs/api/openapi.yaml,
# the API reference page built into build/docs/api/index.html).
# Needs: npm (Debian's nodejs and npm when the machine has none).
phase_needs redocly ""

phase_redocly() { node_up && "$ECS_ROOT/t/ops/test_redocly.sh"; }

run_redocly() { run_phase "redocly (t/ops/test_redocly.sh)" 600 phase_redocly; }
