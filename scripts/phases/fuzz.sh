# shellcheck shell=bash
# Phase fuzz: fuzz/run.sh 15 (clang's libFuzzer, 15 s per fuzzer, one core).
# Needs: nothing but the Debian packages.
phase_needs fuzz ""

phase_fuzz() { sh "$ECS_ROOT/fuzz/run.sh" "$1"; }

run_fuzz() { run_phase "fuzz (fuzz/run.sh 15)" 600 phase_fuzz 15; }
