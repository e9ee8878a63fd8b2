#!/bin/bash
# Sessions through nginx (issue 17, point 3): create, a binary file PUT
# through the front door (its own body limit) read byte-exact by an exec,
# state kept between execs, a file an exec wrote read back by GET, an exec
# streamed as NDJSON whose first line arrives while it still runs (an
# order, not a timer), a path escape refused, DELETE: its container goes.
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if ! e2e_has_engine; then
    skip "no engine to look at here"
    finish
fi
sid=
cleanup_session() { [ -z "$sid" ] || api "/v1.1/sessions/$sid" -X DELETE >/dev/null 2>&1 || true; }
e2e_on_exit cleanup_session

api /v1.1/sessions -H 'Content-Type: application/json' \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "idleTimeout": 120}'
check "create: 201" expect_status 201
sid=$(jq -r .sessionId "$E2E_TMP/body")
check "create: Location" [ "$(header location)" = "/v1.1/sessions/$sid" ]
S=/v1.1/sessions/$sid
sh_exec() { api "$S/exec" -H 'Content-Type: application/json' --data "$(jq -cn --arg c "$1" '{cmd: ["sh", "-c", $c]}')"; }
stdout_of() { jq -r .stdout "$E2E_TMP/body" | base64 -d; }

# a binary file of 2 MiB (over a task body's 1 MiB) through the front door
head -c 2097152 /dev/urandom >"$E2E_TMP/bin"
want=$(sha256sum <"$E2E_TMP/bin" | cut -d' ' -f1)
api "$S/files/tmp/in.bin" -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$E2E_TMP/bin"
check "PUT of 2 MiB: 204" expect_status 204
sh_exec 'sha256sum /tmp/in.bin; echo kept > /tmp/state'
check "exec: 201" expect_status 201
check "the exec read the PUT's bytes exactly" [ "$(stdout_of | cut -d' ' -f1)" = "$want" ]
sh_exec 'cat /tmp/state'
check "state kept between execs" [ "$(stdout_of)" = kept ]

# GET of a file the exec wrote
sh_exec 'head -c 1048576 /dev/urandom > /tmp/out.bin; sha256sum /tmp/out.bin'
got=$(stdout_of | cut -d' ' -f1)
api "$S/files/tmp/out.bin"
check "GET: 200" expect_status 200
check "GET: the bytes the exec wrote" [ "$(sha256sum <"$E2E_TMP/body" | cut -d' ' -f1)" = "$got" ]

# a path escape: refused, nothing written
api "$S/files/tmp/..%2f..%2fetc/evil" -X PUT -H 'Content-Type: application/octet-stream' --data-binary x
check "PUT with '..': 400 PATH_REFUSED" expect_error 400 PATH_REFUSED
sh_exec 'ln -s /etc /tmp/up'
api "$S/files/tmp/up/evil" -X PUT -H 'Content-Type: application/octet-stream' --data-binary x
check "PUT through a planted symlink: 400 PATH_REFUSED" expect_error 400 PATH_REFUSED
sh_exec 'test -e /etc/evil && echo there || echo absent'
check "nothing written outside" [ "$(stdout_of)" = absent ]

# an exec streamed: the first line arrives while it still runs
out=$E2E_TMP/stream
has_line() { [ -f "$out" ] && grep -q "$1" "$out"; }
lacks_line() { ! has_line "$1"; }
( exec curl -sS -N -o "$out" -w '%{http_code}' --max-time 60 --cacert "$ECS_CA_CERT" \
    --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} \
    -H 'Content-Type: application/json' -H 'Accept: application/x-ndjson' \
    --data '{"cmd": ["sh", "-c", "echo a; sleep 2; echo b"]}' "$ECS_ENDPOINT$S/exec" >"$E2E_TMP/status" ) &
client=$!
if check "the streamed exec's first line arrives" wait_for 30 has_line '"data":"YQo="'; then
    check "its result has not arrived with it" lacks_line exitCode
    wait_for 30 has_line exitCode
fi
wait "$client"
check "streamed exec: 200" [ "$(cat "$E2E_TMP/status")" = 200 ]
check "streamed exec: the result last, exit 0" jq -e 'select(has("exitCode")) | .exitCode == 0' "$out" >/dev/null

# DELETE: 204, then 404, and the container goes
cid=$(docker ps -q --no-trunc --filter "label=ecs.session=$sid")
api "$S" -X DELETE
check "DELETE: 204" expect_status 204
api "$S"
check "after DELETE: 404 SESSION_NOT_FOUND" expect_error 404 SESSION_NOT_FOUND
gone() { [ -z "$(docker ps -aq --filter "label=ecs.session=$sid")" ]; }
check "its container is gone" wait_for 20 gone
[ -n "$cid" ] || say "  (no running container was found for the session before the DELETE)"
sid=
finish
