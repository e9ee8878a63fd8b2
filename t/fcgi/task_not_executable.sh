#!/bin/sh
# How a start failure is told: a command that exists but cannot be executed
# (no exec bit, a directory) is exit status 126, a missing one (not in $PATH,
# no such path, a path through a file) 127, as a shell reports them, each a
# 201 with the words of the init (tini) or the engine on stderr. A failure that is not the command's
# (here: the image's working directory cannot be made) is a 502 ENGINE_ERROR
# with the engine's words, never an exit status.
. "$(dirname "$0")/lib.sh"
start_server

for c in /etc/passwd / /etc; do
	post_task "$(task_json "$c")"
	expect_status 201
	expect_json .exitCode 126
	b64 .stderr | grep -qi 'permission denied' || fail "$c: stderr lacks the engine's words: $(b64 .stderr)"
done
for c in nosuchcmd /no/such/command /etc/passwd/x; do
	post_task "$(task_json "$c")"
	expect_status 201
	expect_json .exitCode 127
	[ -n "$(b64 .stderr)" ] || fail "$c: empty stderr"
done

# An image whose WORKDIR runc cannot create (under /proc, a mount of its own):
# committed from a never-started container of the test image, removed at exit.
tag=ecs-test/bad-workdir:strict-$$
cid=$(curl -sS --max-time 10 --unix-socket "$DOCKER_SOCK" -H 'Content-Type: application/json' \
	-d "{\"Image\": \"$IMAGE\", \"Cmd\": [\"true\"], \"Labels\": {\"ecs.test\": \"$TEST_NAME\"}}" \
	http://docker/containers/create | jq -r .Id)
# shellcheck disable=SC2015 # both are tests: fail exactly when one fails
[ -n "$cid" ] && [ "$cid" != null ] || fail "could not create the container to commit"
curl -sS --max-time 10 --unix-socket "$DOCKER_SOCK" -X POST \
	"http://docker/commit?container=$cid&repo=${tag%:*}&tag=${tag#*:}&changes=WORKDIR%20/proc/ecs-no-such/x" \
	>/dev/null || fail "commit failed"
curl -sS --max-time 10 --unix-socket "$DOCKER_SOCK" -X DELETE "http://docker/containers/$cid?force=1" >/dev/null
trap 'curl -sS --max-time 10 --unix-socket "$DOCKER_SOCK" -X DELETE "http://docker/images/$tag?force=1" >/dev/null 2>&1; cleanup' EXIT
post_task "{\"docker_image\": \"$tag\", \"cmd\": [\"true\"], \"network\": \"none\"}"
expect_error 502 ENGINE_ERROR
jbody .message | grep -q 'no such file or directory' || fail "the message lacks the engine's words: $(cat "$BODY")"
# Every container those tasks made is deleted (deferred: poll).
for id in $(container_ids); do
	wait_for 10 container_gone "$id" || fail "container $id is left"
done
[ -n "$(container_ids)" ] || fail "the log names no container"
pass
