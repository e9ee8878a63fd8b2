#!/bin/sh
# Files in and artifacts out of a task, through ecs-fcgi and the agent in
# the container, cold (skipped, saying so, while libecs refuses files
# without a warm container) and pooled (the pooled phase, ECS_TEST_POOL=1): a binary file written before the command is read by it
# byte-exact, with its mode; 1 MiB of random bytes the command wrote comes
# back byte-exact (its sha256 from inside the container); a directory comes
# back as its files; artifacts_cap cuts content (truncated, the real size);
# a symlink the command planted to lead out of /tmp is never followed (a
# 400 PATH_REFUSED naming it, in the agent's words).
. "$(dirname "$0")/lib.sh"
write_config "artifacts_cap = 1100000" "tmpfs = /work"
start_server

# files_task SCRIPT: a task body running `sh -c SCRIPT`; $FILES and $ARTIFACTS are its members.
files_task() {
	jq -cn --arg img "$IMAGE" --arg s "$1" --argjson f "$FILES" --argjson a "$ARTIFACTS" \
		'{docker_image: $img, cmd: ["sh", "-c", $s], network: "none", files: $f, artifacts: $a}'
}

# 1. Every byte value, written before the command; the command reads it back.
head -c 256 /dev/urandom > "$T/bin"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >> "$T/bin"
FILES=$(jq -cn --arg c "$(base64 -w0 "$T/bin")" '[{path: "/work/in/data.bin", content: $c, mode: "0750"}, {path: "/tmp/empty"}]')
ARTIFACTS='[]'
post_task "$(files_task 'cat /work/in/data.bin; stat -c %a /work/in/data.bin >&2; wc -c < /tmp/empty >&2')"
# Until cold containers speak protocol 2 (i17-cold), libecs refuses files without a warm container.
[ -z "$POOLED" ] && [ "$STATUS" = 400 ] && jbody .message | grep -q 'need ecs-agent in the container' &&
	skip "cold containers do not carry files yet: $(jbody .message)"
expect_status 201
expect_json .exitCode 0
b64 .stdout | cmp -s - "$T/bin" || fail "the file the command read differs from the one sent"
[ "$(b64 .stderr | tr -d ' ' | tr '\n' ,)" = "750,0," ] || fail "mode or empty file wrong: $(b64 .stderr)"
expect_json '.artifacts | length' 0

# 2. 1 MiB of random bytes back, byte-exact; a directory as its files.
FILES='[]'
ARTIFACTS='["/tmp/out.bin", "/work/d"]'
post_task "$(files_task 'head -c 1048576 /dev/urandom > /tmp/out.bin && sha256sum /tmp/out.bin | cut -d" " -f1;
	mkdir -p /work/d/sub && echo a > /work/d/a && printf b > /work/d/sub/b')"
expect_status 201
expect_json .exitCode 0
expect_json '.artifacts | length' 3
expect_json '.artifacts[0].path' /tmp/out.bin
expect_json '.artifacts[0].size' 1048576
expect_json '.artifacts[0].truncated' false
jbody '.artifacts[0].content' | base64 -d > "$T/out.bin"
[ "$(sha256sum < "$T/out.bin" | cut -d' ' -f1)" = "$(b64 .stdout | tr -d '\n')" ] ||
	fail "the 1 MiB artifact is not the bytes the container wrote"
[ "$(jbody '[.artifacts[1:][] | .path] | sort | join(",")')" = /work/d/a,/work/d/sub/b ] ||
	fail "the directory's files: $(jbody '[.artifacts[] | .path]')"
[ "$(jbody '.artifacts[] | select(.path == "/work/d/a") | .content' | base64 -d)" = a ] || fail "/work/d/a differs"

# 3. Over the cap (1100000 bytes in all): the second file is cut, its size the real one.
ARTIFACTS='["/tmp/one", "/tmp/two"]'
post_task "$(files_task 'head -c 1048576 /dev/zero > /tmp/one; head -c 100000 /dev/zero | tr "\0" x > /tmp/two')"
expect_status 201
expect_json '.artifacts[0].truncated' false
expect_json '.artifacts[1].truncated' true
expect_json '.artifacts[1].size' 100000
kept=$(jbody '.artifacts[1].content' | base64 -d | wc -c)
[ "$kept" -le $((1100000 - 1048576)) ] || fail "the cut file kept $kept bytes, over the cap"
jbody '.artifacts[1].content' | base64 -d | tr -d x | grep -q . && fail "the cut file's bytes are not its head"

# 4. A symlink the command planted to lead out of /tmp: never followed.
ARTIFACTS='["/tmp/link/passwd"]'
post_task "$(files_task 'ln -s /etc /tmp/link')"
expect_error 400 PATH_REFUSED
jbody .message | grep -qF /tmp/link || fail "the refusal does not name the path: $(jbody .message)"
grep -q root "$BODY" && fail "/etc/passwd leaked through the symlink"
pass
