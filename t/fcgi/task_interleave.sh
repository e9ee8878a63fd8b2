#!/bin/sh
# Writes that alternate between stdout and stderr, line by line, come back
# apart and each in its own order, every byte: 500 lines to each.
. "$(dirname "$0")/lib.sh"
start_server
post_task "$(task_json sh -c 'i=0; while [ $i -lt 500 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done')"
expect_status 201
expect_json .exitCode 0
i=0
while [ $i -lt 500 ]; do echo "out$i"; i=$((i + 1)); done > "$T/want.out"
sed 's/^out/err/' "$T/want.out" > "$T/want.err"
b64 .stdout > "$T/out"
b64 .stderr > "$T/err"
cmp -s "$T/out" "$T/want.out" || fail "stdout differs: $(diff "$T/want.out" "$T/out" | head -n 5)"
cmp -s "$T/err" "$T/want.err" || fail "stderr differs: $(diff "$T/want.err" "$T/err" | head -n 5)"
expect_json .stdoutBytes "$(wc -c < "$T/want.out" | tr -d ' ')"
expect_json .stderrBytes "$(wc -c < "$T/want.err" | tr -d ' ')"
pass
