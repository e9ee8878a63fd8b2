#!/bin/sh
# stdout_cap and stderr_cap: each stream keeps its first bytes exactly, says
# it was truncated and how much was written; a stream under its cap is whole.
. "$(dirname "$0")/lib.sh"
write_config "stdout_cap = 1000" "stderr_cap = 100"
start_server
post_task "$(task_json sh -c 'yes | head -c 200000; yes e | head -c 5000 >&2')"
expect_status 201
expect_json .exitCode 0
expect_json .stdoutTruncated true
expect_json .stderrTruncated true
expect_json .stdoutBytes 200000
expect_json .stderrBytes 5000
yes | head -c 1000 > "$T/want.out"
yes e | head -c 100 > "$T/want.err"
b64 .stdout | cmp -s - "$T/want.out" || fail "stdout is not the first 1000 bytes"
b64 .stderr | cmp -s - "$T/want.err" || fail "stderr is not the first 100 bytes"
# Exactly at the cap is not truncated.
post_task "$(task_json sh -c 'yes | head -c 1000; yes e | head -c 100 >&2')"
expect_status 201
expect_json .stdoutTruncated false
expect_json .stderrTruncated false
expect_json .stdoutBytes 1000
expect_json .stderrBytes 100
pass
