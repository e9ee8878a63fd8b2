#!/bin/bash
# Live output through nginx (issue 17, point 4): POST /v1.1/tasks with
# Accept: application/x-ndjson answers 200 application/x-ndjson, one strict
# JSON object a line as the output arrives, the result last without its
# output; an error before the first line keeps its status and JSON body; a
# client that leaves mid-stream cancels the task (its container goes).
#
# The arrival check is an order, not a timer: curl writes each chunk as it
# comes; once the task's first line is in the file, the result must not be
# (the task sleeps 2 s between its two lines). The gap is measured and
# printed.
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

out=$E2E_TMP/stream
task_json() { # task_json CMD...: the body running CMD (JSON-quoted by jq)
    jq -cn --arg img "$ECS_TEST_IMAGE" '{docker_image: $img, cmd: $ARGS.positional, network: "none"}' --args -- "$@"
}
# stream BODY: POST it asking for NDJSON; the body grows in $out as it arrives.
# Always in a subshell ($(...) or &): curl replaces it, so $! is curl's pid.
stream() {
    exec curl -sS -N -o "$out" -D "$E2E_TMP/headers" -w '%{http_code}' --max-time 60 --cacert "$ECS_CA_CERT" \
        --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} \
        -H 'Content-Type: application/json' -H 'Accept: application/x-ndjson' -H 'Accept-Encoding: gzip' \
        --data-binary "$1" "$ECS_ENDPOINT/v1.1/tasks" 2>"$E2E_TMP/curl.err"
}
line_count() { [ -f "$out" ] && wc -l <"$out" || echo 0; }
has_line() { [ -f "$out" ] && grep -q "$1" "$out"; }
lacks_line() { ! has_line "$1"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The base64 of "a\n" and "b\n": the two output lines of the ordering task.
A_LINE='"data":"YQo="'
B_LINE='"data":"Ygo="'

# ---- the first line arrives while the task still runs --------------------------
stream "$(task_json sh -c 'echo a; sleep 2; echo b')" >"$E2E_TMP/status" &
client=$!
e2e_on_exit "kill $client 2>/dev/null || true"
if check "the first output line arrives" wait_for 30 has_line "$A_LINE"; then
    t_a=$(now_ms)
    # The moment we see `a`: the task has 2 s of sleep left, its result cannot be here.
    check "the result has not arrived when the first line did" lacks_line exitCode
    check "nor the task's second line" lacks_line "$B_LINE"
    wait_for 30 has_line exitCode
    t_end=$(now_ms)
    say "the a line came $((t_end - t_a)) ms before the last line (the issue asks for at least 1500; polled every 0.1 s)"
fi
wait "$client"
STATUS=$(cat "$E2E_TMP/status")
check "200" expect_status 200
check "Content-Type application/x-ndjson" [ "$(header content-type)" = application/x-ndjson ]
check "not gzipped" [ -z "$(header content-encoding)" ]
check "three lines: a, b, the result" [ "$(line_count)" -eq 3 ]
n=0 strict=1
while IFS= read -r l; do
    n=$((n + 1))
    printf '%s' "$l" >"$E2E_TMP/line$n"
    strict_json_body "$E2E_TMP/line$n" 2>"$E2E_TMP/strict.err" || { strict=0; say "  line $n: $(cat "$E2E_TMP/strict.err")"; }
done <"$out"
check "every line is one strict JSON document" [ "$strict" = 1 ]
check "line 1: stdout a" [ "$(jq -r 'select(.stream == "stdout") | .data' "$E2E_TMP/line1" | base64 -d)" = a ]
check "line 2: stdout b" [ "$(jq -r 'select(.stream == "stdout") | .data' "$E2E_TMP/line2" | base64 -d)" = b ]
check "last line: the result, exit 0, 4 bytes of stdout, not timed out" \
    jq -e '.exitCode == 0 and .stdoutBytes == 4 and .stderrBytes == 0 and .timedOut == false and (.taskId | length > 0)' "$E2E_TMP/line3" >/dev/null
check "the result carries no output of its own" jq -e 'has("stdout") or has("stderr") | not' "$E2E_TMP/line3" >/dev/null

# ---- stderr and an exit code ------------------------------------------------------
STATUS=$(stream "$(task_json sh -c 'printf "\377e" >&2; exit 3')")
check "stderr task: 200" expect_status 200
check "a stderr line with the bytes exactly" \
    [ "$(head -n 1 "$out" | jq -r 'select(.stream == "stderr") | .data' | base64 -d | od -An -tx1 | tr -d ' ')" = ff65 ]
check "the result says exit 3" [ "$(tail -n 1 "$out" | jq .exitCode)" = 3 ]

# ---- a task with no output: one line, the result ------------------------------------
STATUS=$(stream "$(task_json true)")
check "silent task: 200 and the result alone" eval '[ "$STATUS" = 200 ] && [ "$(line_count)" -eq 1 ] && jq -e ".exitCode == 0" "$out" >/dev/null'

# ---- errors before the first line keep their status and JSON body --------------------
api /v1.1/tasks -H 'Content-Type: application/json' -H 'Accept: application/x-ndjson' \
    --data-binary '{"docker_image": "'"$ECS_TEST_IMAGE"'"}'
check "a bad body: the 400 JSON error" expect_error 400 BAD_REQUEST_BODY
api /v1.1/tasks -H 'Content-Type: application/json' -H 'Accept: application/x-ndjson' \
    --data-binary '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["true"], "runtime": "no-such-runtime-'$$'"}'
check "a runtime the service may not use: the 403 JSON error" expect_error 403 RUNTIME_NOT_ALLOWED

# ---- without the Accept header: the one JSON document, as before ----------------------
api /v1.1/tasks -H 'Content-Type: application/json' --data-binary "$(task_json echo plain)"
check "no Accept: 201 JSON with stdout" eval '[ "$STATUS" = 201 ] && [ "$(jbody .stdout | base64 -d)" = plain ]'

# ---- a client that leaves mid-stream cancels the task --------------------------------
if e2e_has_engine; then
    marker="sleep 60.$$"
    stream "$(task_json sh -c "echo started; $marker")" >/dev/null &
    client=$!
    e2e_on_exit "kill -KILL $client 2>/dev/null || true"
    if check "the streamed task's first line arrives" wait_for 30 has_line '"data":"c3RhcnRlZAo="'; then
        id=$(task_containers "$marker")
        check "its container runs" [ -n "$id" ]
        kill -KILL "$client"
        wait "$client" 2>/dev/null
        container_gone() { [ -z "$(docker ps -aq --filter "id=$1")" ]; }
        [ -z "$id" ] || check "the container is gone after the client left mid-stream (bound 15 s)" \
            wait_for 15 container_gone "$id"
        e2e_on_exit "[ -z '$id' ] || docker rm -f '$id' >/dev/null 2>&1 || true"
    fi
else
    skip "no local engine: cannot watch the container of an abandoned stream"
fi
finish
