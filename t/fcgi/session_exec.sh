#!/bin/sh
# Execs and files in a session, against the real engine and ecs-agent:
# state kept between execs (a file, the working directory's content); a
# file written by PUT read byte-exact by the next exec (binary); GET of a
# file an exec wrote, and of a directory as a tar; an artifact of 1 MiB of
# random bytes byte-exact; the attacks: a path with "..", a symlink an exec
# planted leading out of the writable mounts (PUT through it, GET through
# it, files through it) all refused 400 PATH_REFUSED with nothing written
# outside; a second request while one runs is 409; the session survives a
# kill -9 of ecs-fcgi and keeps its files; nothing left.
. "$(dirname "$0")/lib.sh"
sessions_home
write_config "pool_agent = $AGENT" "$SESSION_HOME_KEY"
start_server

req POST /v1.1/sessions "{\"docker_image\": \"$IMAGE\"}" CONTENT_TYPE=application/json
expect_status 201
sid=$(jbody .sessionId)
S=/v1.1/sessions/$sid
exec_json() { req POST "$S/exec" "$1" CONTENT_TYPE=application/json; }
sh_exec() { exec_json "$(jq -cn --arg c "$1" '{cmd: ["sh", "-c", $c]}')"; }

# state kept between execs
sh_exec 'echo one > /tmp/state; cd /tmp && mkdir -p d && echo two > d/f'
expect_status 201
expect_json .exitCode 0
sh_exec 'cat /tmp/state /tmp/d/f; exit 3'
expect_status 201
expect_json .exitCode 3
[ "$(b64 .stdout)" = "$(printf 'one\ntwo')" ] || fail "the second exec saw: $(b64 .stdout)"
expect_json .taskId "$sid"
expect_json .timedOut false

# a background process does not outlive its exec
sh_exec 'sleep 300 & echo started'
expect_status 201
sh_exec 'ps | grep -c "[s]leep 300" || true'
[ "$(b64 .stdout)" = 0 ] || fail "a background process outlived its exec: $(b64 .stdout)"

# the timeout: killed, timedOut, the session goes on
exec_json '{"cmd": ["sleep", "30"], "timeout": 1}'
expect_status 201
expect_json .timedOut true
sh_exec 'echo alive'
[ "$(b64 .stdout)" = alive ] || fail "the session did not survive a timeout"

# PUT a binary file, the next exec reads it byte-exact
head -c 65536 /dev/urandom > "$T/bin"
printf '\000\377\r\n' >> "$T/bin"
want=$(sha256sum < "$T/bin" | cut -d' ' -f1)
put_file() { # put_file PATH FILE [TYPE]
	out=$(mktemp "$T/resp.XXXXXX")
	env -i PATH="$PATH" REQUEST_METHOD=PUT REQUEST_URI="$S/files$1" SCRIPT_NAME="$S/files$1" QUERY_STRING= \
		SERVER_NAME=localhost SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
		CONTENT_TYPE="${3:-application/octet-stream}" CONTENT_LENGTH="$(wc -c < "$2")" \
		cgi-fcgi -bind -connect "$SOCK" < "$2" > "$out" 2>/dev/null || fail "cgi-fcgi failed"
	STATUS=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$out" | head -n 1)
	BODY=$out.body
	awk 'BEGIN{h=1} h {sub(/\r$/, "")} h && /^$/ {h=0; next} h {next} {print > "'"$BODY"'"}' "$out"
	touch "$BODY"
}
put_file /tmp/in/bin.dat "$T/bin"
expect_status 204
sh_exec 'sha256sum /tmp/in/bin.dat'
[ "$(b64 .stdout | cut -d' ' -f1)" = "$want" ] || fail "the exec read other bytes than the PUT wrote"

# GET of a file an exec wrote: its bytes, exactly
sh_exec 'head -c 1048576 /dev/urandom > /tmp/out.bin; sha256sum /tmp/out.bin'
got_sum=$(b64 .stdout | cut -d' ' -f1)
get_raw() { # get_raw PATH OUTFILE: the raw body
	env -i PATH="$PATH" REQUEST_METHOD=GET REQUEST_URI="$S/files$1" SCRIPT_NAME="$S/files$1" QUERY_STRING= \
		SERVER_NAME=localhost SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
		cgi-fcgi -bind -connect "$SOCK" > "$2.raw" 2>/dev/null || fail "cgi-fcgi failed"
	python3 - "$2.raw" "$2" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
i = d.index(b'\r\n\r\n')
open(sys.argv[2] + '.head', 'wb').write(d[:i])
open(sys.argv[2], 'wb').write(d[i + 4:])
PY
	STATUS=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$2.head" | head -n 1)
}
get_raw /tmp/out.bin "$T/got"
[ "$STATUS" = 200 ] || fail "GET of a file: $STATUS"
[ "$(sha256sum < "$T/got" | cut -d' ' -f1)" = "$got_sum" ] || fail "GET returned other bytes than the exec wrote"
grep -qi '^Content-Type: application/octet-stream' "$T/got.head" || fail "a file is not octet-stream: $(cat "$T/got.head")"
# a directory comes as a tar
get_raw /tmp/d "$T/dir"
[ "$STATUS" = 200 ] || fail "GET of a directory: $STATUS"
[ "$(tar -xOf "$T/dir" d/f)" = two ] || fail "the directory's tar lacks d/f"

# an artifact of 1 MiB of random bytes, byte-exact
exec_json '{"cmd": ["sh", "-c", "head -c 1048576 /dev/urandom > /tmp/art.bin; sha256sum /tmp/art.bin"], "artifacts": ["/tmp/art.bin"]}'
expect_status 201
art_sum=$(b64 .stdout | cut -d' ' -f1)
[ "$(jbody '.artifacts[0].content' | base64 -d | sha256sum | cut -d' ' -f1)" = "$art_sum" ] ||
	fail "the artifact differs from what the exec wrote"
expect_json '.artifacts[0].size' 1048576

# attacks: "..", and a symlink planted by an exec that leads out of /tmp
printf x > "$T/x"
put_file /tmp/../etc/evil "$T/x"
{ [ "$STATUS" = 400 ] && grep -q PATH_REFUSED "$BODY"; } || fail "a PUT with '..' was not refused: $STATUS $(cat "$BODY")"
sh_exec 'ln -s /etc /tmp/link; ln -s /etc/passwd /tmp/pw'
put_file /tmp/link/evil "$T/x"
{ [ "$STATUS" = 400 ] && grep -q PATH_REFUSED "$BODY"; } || fail "a PUT through a planted symlink: $STATUS $(cat "$BODY")"
grep -q '/tmp/link' "$BODY" || fail "the refusal does not name the path: $(cat "$BODY")"
get_raw /tmp/pw "$T/pw"
[ "$STATUS" = 400 ] || fail "a GET through a planted symlink answered $STATUS"
exec_json '{"cmd": ["true"], "files": [{"path": "/tmp/link/evil2", "content": "eA=="}]}'
expect_error 400 PATH_REFUSED
exec_json '{"cmd": ["true"], "files": [{"path": "/tmp/../../etc/evil3", "content": "eA=="}]}'
expect_error 400 PATH_REFUSED
sh_exec 'ls /etc/evil /etc/evil2 /etc/evil3 2>/dev/null | wc -l'
[ "$(b64 .stdout)" = 0 ] || fail "something was written outside: $(b64 .stdout)"

# one request at a time: a second while the first runs is 409
REQ_TIMEOUT=30 exec_json '{"cmd": ["sh", "-c", "touch /tmp/busy; sleep 3"]}' &
first=$!
# Readiness by the session's own document (it runs nothing): an exec sent to
# find out could itself hold the session before the first one arrives.
busy() { req GET "$S" 2>/dev/null; [ "$(jbody .state)" = busy ]; }
wait_for 10 busy || fail "the session never said it was busy with the first exec"
sh_exec 'true'
expect_error 409 SESSION_BUSY
wait "$first" || fail "the first exec failed"
sh_exec 'test -e /tmp/busy && echo ok'
[ "$(b64 .stdout)" = ok ] || fail "the session is unusable after a 409"

# kill -9 of ecs-fcgi: the restarted one adopts the session, files and all
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
start_server
sh_exec 'cat /tmp/state'
expect_status 201
[ "$(b64 .stdout)" = one ] || fail "after a restart the session lost its state: $(b64 .stdout)"

req GET /v1.1/_metrics
grep -qx 'ecs_session_execs_total 1' "$BODY" || fail "execs since the restart: $(grep ecs_session_execs "$BODY")"
grep -qx 'ecs_sessions_open 1' "$BODY" || fail "sessions open: $(grep ecs_sessions_open "$BODY")"
req DELETE "$S"
expect_status 204
gone() { [ -z "$(session_containers)" ]; }
wait_for 20 gone || fail "session containers left: $(session_containers)"
pass
