#!/bin/bash
# ecs-run --endpoint against answers a real service gives only by accident
# or by malice, served canned (t/lib/canned_http.py on 127.0.0.1): a
# service that does not stream (201, the one document), a stream cut
# before its result, a line that is not JSON, an error line, and artifacts
# whose names try to leave the artifact directory or write through a
# symbolic link planted there. No deployment needed.
E2E_NO_DEPLOYMENT=1
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ECS_RUN=${ECS_RUN_BIN:-${ECS_BUILD:-$E2E_REPO/build}/cli/ecs-run}
PORT=${ECS_TEST_LISTEN_PORT:-8554}
if [ ! -x "$ECS_RUN" ]; then
    not_ok "no ecs-run at $ECS_RUN (build first)"
    finish
fi
unset ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET
cd "$E2E_TMP" || exit 1
out=$E2E_TMP/out err=$E2E_TMP/err
ready() { [ -e "$PORT.ready" ]; }
# answer STATUS TYPE BODY ECS-RUN-ARGS...: ecs-run against one canned answer; its status in $rc
answer() {
    printf '%b' "$3" >"$E2E_TMP/canned"
    rm -f "$PORT.ready"
    python3 "$TEST_T/lib/canned_http.py" "$PORT" "$1" "$2" "$E2E_TMP/canned" &
    server=$!
    shift 3
    wait_for 10 ready || { not_ok "the canned server did not listen on $PORT"; kill "$server"; return; }
    "$ECS_RUN" --endpoint "http://127.0.0.1:$PORT" "$@" img:1 true >"$out" 2>"$err"
    rc=$?
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
}
NDJSON=application/x-ndjson
OUT_HI='{"stream":"stdout","data":"aGkK"}\n'

answer 201 application/json '{"exitCode":3,"stdout":"aGkK","stderr":"/w==","timedOut":false}'
check "a service that does not stream: its exit code" [ "$rc" = 3 ]
check "its stdout" [ "$(cat "$out")" = hi ]
check "its stderr, byte-exact" [ "$(od -An -tx1 "$err" | tr -d ' ')" = ff ]

answer 200 $NDJSON "$OUT_HI"
check "a stream cut before its result: 125" [ "$rc" = 125 ]
check "the output that came is ours" [ "$(cat "$out")" = hi ]
check "and says the answer ended early" grep -q "ended before the task's result" "$err"

answer 200 $NDJSON "$OUT_HI"'{"stream":"stdout","data":"aGkK"}}\n{"exitCode":0}\n'
check "a line that is not JSON: 125, the stream broke off" eval '[ "$rc" = 125 ] && grep -q "broke off: a line is not JSON" "$err"'

answer 200 $NDJSON "$OUT_HI"'{"stream":"stdout","data":"not base64!"}\n{"exitCode":0}\n'
check "data that is not base64: 125" eval '[ "$rc" = 125 ] && grep -q "not base64" "$err"'

answer 200 $NDJSON "$OUT_HI"'{"error":{"status":502,"code":"ENGINE_ERROR","message":"wait: gone","requestId":"r"}}\n'
check "an error line: 125 with its status, code and message" \
    eval '[ "$rc" = 125 ] && grep -q "^ecs-run: service: HTTP 502 ENGINE_ERROR: wait: gone" "$err"'

answer 200 $NDJSON '{"exitCode":0}\n{"exitCode":1}\n'
check "a line after the last: 125" eval '[ "$rc" = 125 ] && grep -q "after the last one" "$err"'

answer 200 $NDJSON '{"exitCode":0,"timedOut":true}\n'
check "timed out: 124" [ "$rc" = 124 ]

# ---- artifacts: by base name, inside the directory, never through a link ------------
mkdir -p arts outside
answer 200 $NDJSON '{"exitCode":0,"artifacts":[{"path":"/tmp/../outside/evil","content":"eAo=","size":2,"truncated":false},{"path":"/tmp/b.bin","content":"/wA=","size":2,"truncated":false}]}\n' \
    --artifact /tmp/a --artifact-dir arts
check "artifacts written: exit 0" [ "$rc" = 0 ]
check "a name with .. lands in the artifact directory, by its base name" [ -f arts/evil ]
check "nothing written outside it" [ ! -e outside/evil ]
check "binary content byte-exact" [ "$(od -An -tx1 arts/b.bin | tr -d ' ')" = ff00 ]

ln -s "$E2E_TMP/outside/target" arts/link
answer 200 $NDJSON '{"exitCode":0,"artifacts":[{"path":"/tmp/link","content":"eAo=","size":2,"truncated":false}]}\n' \
    --artifact /tmp/link --artifact-dir arts
check "an artifact named as a symbolic link in the directory: 125" [ "$rc" = 125 ]
check "nothing written through the link" [ ! -e outside/target ]

for name in '' . ..; do
    answer 200 $NDJSON '{"exitCode":0,"artifacts":[{"path":"/tmp/'"$name"'","content":"eAo=","size":2,"truncated":false}]}\n' \
        --artifact /tmp --artifact-dir arts
    check "an artifact path ending in '/$name': 125, nothing written" eval '[ "$rc" = 125 ] && grep -q "no file name" "$err"'
done

answer 200 $NDJSON '{"exitCode":0,"artifacts":[{"path":"/tmp/big","content":"eA==","size":9,"truncated":true}]}\n' \
    --artifact /tmp/big --artifact-dir arts
check "a truncated artifact: written as far as it came, with a note" \
    eval '[ "$rc" = 0 ] && [ "$(cat arts/big)" = x ] && grep -q "truncated to 1 bytes" "$err"'
finish
