#!/bin/sh
# Output is read live from the container and capped as it arrives: the first
# bytes are kept and stdoutBytes/stderrBytes say how much was written; long
# lines keep their newline; binary bytes are exact on both streams.
. "$(dirname "$0")/lib.sh"
start_server

# 14.9 MB of stdout, the default cap of 1 MiB: the head, exactly, and the total.
post_task "$(task_json seq 1 2000000)"
expect_status 201
expect_json .stdoutTruncated true
expect_json .stdoutBytes 14888896
expect_json .stderrBytes 0
jbody .stdout | base64 -d > "$T/out"
seq 1 2000000 | head -c 1048576 > "$T/want"
cmp -s "$T/out" "$T/want" || fail "stdout is not the first 1 MiB of the output ($(wc -c < "$T/out") bytes)"

# A 16 KiB line keeps the newline after it.
post_task "$(task_json sh -c "head -c 16384 /dev/zero | tr '\\0' x; echo; echo next")"
expect_status 201
expect_json .stdoutBytes 16390
expect_json .stdoutTruncated false
[ "$(b64 .stdout | tail -c 6 | od -An -c | tr -s ' ')" = " \\n n e x t \\n" ] || fail "the end of stdout: $(b64 .stdout | tail -c 6 | od -An -c)"

# Non-UTF-8 bytes and NULs on both streams.
post_task "$(task_json sh -c "printf '\\377\\376\\000x'; printf '\\000\\377' >&2")"
expect_status 201
[ "$(b64 .stdout | od -An -tx1 | tr -d ' ')" = "fffe0078" ] || fail "stdout: $(b64 .stdout | od -An -tx1)"
[ "$(b64 .stderr | od -An -tx1 | tr -d ' ')" = "00ff" ] || fail "stderr: $(b64 .stderr | od -An -tx1)"
expect_json .stdoutBytes 4
expect_json .stderrBytes 2
pass
