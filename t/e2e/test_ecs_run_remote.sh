#!/bin/bash
# ecs-run --endpoint (issue 17, point 5): the task runs on the service
# through its streaming answer; output appears as the task writes it (an
# order, not a timer: the first line is in our file while ecs-run still
# runs and the second is not), stdout and stderr apart, the task's exit
# code is ours, 124 past the timeout, 125 with the service's words on a
# refusal, 130 on SIGINT (the task's container goes). --file and
# --artifact once the service takes files (else skipped, saying so).
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ECS_RUN=${ECS_RUN_BIN:-${ECS_BUILD:-$E2E_REPO/build}/cli/ecs-run}
if [ ! -x "$ECS_RUN" ]; then
    not_ok "no ecs-run at $ECS_RUN (build first)"
    finish
fi
export ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET
run_remote() { "$ECS_RUN" --endpoint "$ECS_ENDPOINT" "$@"; }
# In the background, ecs-run itself (not a subshell running it) must be $!: signals go to it.
bg_remote() { "$ECS_RUN" --endpoint "$ECS_ENDPOINT" "$@" & }
out=$E2E_TMP/out err=$E2E_TMP/err
has() { grep -q "$1" "$2"; }
lacks() { ! grep -q "$1" "$2"; }
alive() { kill -0 "$1" 2>/dev/null; }

# ---- output as written ------------------------------------------------------------
bg_remote "$ECS_TEST_IMAGE" sh -c 'echo a; sleep 2; echo b' >"$out" 2>"$err"
pid=$!
e2e_on_exit "kill $pid 2>/dev/null || true"
if check "the first line is on our stdout" wait_for 30 has '^a$' "$out"; then
    check "while ecs-run still runs" alive "$pid"
    check "and before the task's second line" lacks '^b$' "$out"
fi
wait "$pid"
rc=$?
check "exit 0 and both lines" eval '[ "$rc" = 0 ] && [ "$(cat "$out")" = "$(printf "a\nb")" ]'

run_remote "$ECS_TEST_IMAGE" sh -c 'echo out; printf "\377" >&2; exit 7' >"$out" 2>"$err"
rc=$?
check "the task's exit code is ours (7)" [ "$rc" = 7 ]
check "stdout apart" [ "$(cat "$out")" = out ]
check "stderr apart, byte-exact" [ "$(od -An -tx1 "$err" | tr -d ' ')" = ff ]

echo 'from stdin' | run_remote -i "$ECS_TEST_IMAGE" cat >"$out" 2>"$err"
rc=$?
check "--stdin reaches the task" eval '[ "$rc" = 0 ] && [ "$(cat "$out")" = "from stdin" ]'

run_remote -t 1 "$ECS_TEST_IMAGE" sleep 30 >"$out" 2>"$err"
check "past --timeout: 124" [ $? = 124 ]

run_remote --runtime "no-such-runtime-$$" "$ECS_TEST_IMAGE" true >"$out" 2>"$err"
rc=$?
check "a refusal: 125" [ "$rc" = 125 ]
check "with the service's status and code on stderr" has '^ecs-run: service: HTTP 403 RUNTIME_NOT_ALLOWED: ' "$err"

run_remote --tmpfs /x "$ECS_TEST_IMAGE" true >"$out" 2>"$err"
rc=$?
check "a local engine's option with --endpoint: 125, named" eval '[ "$rc" = 125 ] && grep -q -- "--tmpfs is for a local engine" "$err"'

"$ECS_RUN" --endpoint https://127.0.0.1:1 "$ECS_TEST_IMAGE" true >"$out" 2>"$err"
rc=$?
check "no service there: 125, a connection error" eval '[ "$rc" = 125 ] && grep -q "^ecs-run: connection: " "$err"'

# ---- SIGINT: 130, the task cancelled (its container goes) ----------------------------
if e2e_has_engine; then
    marker="sleep 60.$$"
    bg_remote "$ECS_TEST_IMAGE" sh -c "echo up; $marker" >"$out" 2>"$err"
    pid=$!
    if check "the interrupted task runs" wait_for 30 has '^up$' "$out"; then
        id=$(task_containers "$marker")
        kill -INT "$pid"
        wait "$pid"
        rc=$?
        check "SIGINT: 130" [ "$rc" = 130 ]
        [ "$rc" = 130 ] || say "  exit $rc: $(cat "$err")"
        container_gone() { [ -z "$(docker ps -aq --filter "id=$1")" ]; }
        if [ -n "$id" ]; then
            check "its container is gone (bound 15 s)" wait_for 15 container_gone "$id"
            e2e_on_exit "docker rm -f '$id' >/dev/null 2>&1 || true"
        else
            not_ok "no container to watch"
        fi
    fi
else
    skip "no local engine: cannot watch the interrupted task's container"
fi

# ---- files in, artifacts out ---------------------------------------------------------
head -c 65536 /dev/urandom >"$E2E_TMP/in.bin"
# A probe with one file and one artifact: a service (or a libecs) without
# them answers something else than 201, and says what.
api /v1.1/tasks -H 'Content-Type: application/json' \
    --data-binary '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["true"], "network": "none",
                    "files": [{"path": "/tmp/probe", "content": "eA==", "mode": 420}], "artifacts": ["/tmp/probe"]}'
if [ "$STATUS" != 201 ]; then
    skip "--file and --artifact: this service does not run tasks with files yet ($STATUS $(jbody .code): $(jbody .message | head -c 120))"
else
    mkdir "$E2E_TMP/arts"
    run_remote --file "$E2E_TMP/in.bin:/tmp/in.bin" --artifact /tmp/copy.bin --artifact /tmp/big.bin \
        --artifact-dir "$E2E_TMP/arts" "$ECS_TEST_IMAGE" \
        sh -c 'sha256sum </tmp/in.bin; cp /tmp/in.bin /tmp/copy.bin; head -c 1048576 /dev/urandom >/tmp/big.bin; sha256sum </tmp/big.bin >&2' \
        >"$out" 2>"$err"
    rc=$?
    check "files and artifacts: exit 0" [ "$rc" = 0 ]
    check "--file: the task read our bytes exactly" \
        [ "$(awk '{print $1}' "$out")" = "$(sha256sum <"$E2E_TMP/in.bin" | awk '{print $1}')" ]
    check "--artifact: the copy came back byte-exact" cmp -s "$E2E_TMP/in.bin" "$E2E_TMP/arts/copy.bin"
    check "--artifact: 1 MiB of random bytes came back byte-exact" \
        [ "$(awk '{print $1}' "$err")" = "$(sha256sum <"$E2E_TMP/arts/big.bin" | awk '{print $1}')" ]
fi
finish
