#!/bin/sh
# files and artifacts the edge refuses, each a 400 naming the path, before
# anything reaches the engine: an escape by "..", a relative path, a path
# outside the task's writable mounts (/tmp and the configured tmpfs /work),
# too many entries, bad base64, a bad mode, files over files_cap. Then the
# same paths inside the mounts pass the edge.
. "$(dirname "$0")/lib.sh"
write_config "tmpfs = /work" "files_cap = 16"
start_server

# refused CODE NEEDLE MEMBERS: a task body with MEMBERS is a 400 CODE whose
# message contains NEEDLE.
refused() {
	unpooled post_task "{\"docker_image\": \"$IMAGE\", \"cmd\": [\"true\"], \"network\": \"none\", $3}"
	expect_error 400 "$1"
	jbody .message | grep -qF -- "$2" || fail "message '$(jbody .message)' does not name '$2'"
}

refused PATH_REFUSED "'../../etc/passwd'" '"files": [{"path": "../../etc/passwd", "content": "eA=="}]'
refused PATH_REFUSED "'/tmp/../../etc/passwd'" '"files": [{"path": "/tmp/../../etc/passwd", "content": "eA=="}]'
refused PATH_REFUSED "'/tmp/x/../../etc'" '"artifacts": ["/tmp/x/../../etc"]'
refused PATH_REFUSED "'out.txt' is not an absolute path" '"artifacts": ["out.txt"]'
refused PATH_REFUSED "files[0].path '/etc/passwd' is not below a writable mount of this task (/tmp, /work)" \
	'"files": [{"path": "/etc/passwd", "content": "eA=="}]'
refused PATH_REFUSED "artifacts[1] '/etc/shadow'" '"artifacts": ["/work/ok", "/etc/shadow"]'
refused PATH_REFUSED "'/tmp'" '"files": [{"path": "/tmp", "content": "eA=="}]'
refused BAD_REQUEST_BODY "files[0].content of '/tmp/a' must be standard base64" \
	'"files": [{"path": "/tmp/a", "content": "not base64"}]'
refused BAD_REQUEST_BODY "files[0].mode" '"files": [{"path": "/tmp/a", "mode": 4095}]'
refused BAD_REQUEST_BODY "files[1] '/tmp/b' brings the files to 18 bytes, over the cap of 16 bytes" \
	'"files": [{"path": "/tmp/a", "content": "MDEyMzQ1Njc4OQ=="}, {"path": "/tmp/b", "content": "MDEyMzQ1Njc="}]'
many=$(seq 0 1024 | sed 's#.*#"/tmp/&"#' | paste -sd, -)
refused BAD_REQUEST_BODY "artifacts has more than 1024 elements" "\"artifacts\": [$many]"
long=/tmp/$(head -c 4100 /dev/zero | tr '\0' a)
refused PATH_REFUSED "is longer than 4096 bytes" "\"artifacts\": [\"$long\"]"

# None of these reached the engine: no task ran.
container_ids | grep -q . && fail "a refused request ran a container: $(container_ids)"
# What lies inside the mounts passes the edge (what runs it is libecs's).
unpooled post_task "{\"docker_image\": \"$IMAGE\", \"cmd\": [\"true\"], \"network\": \"none\", \"files\": [{\"path\": \"/work/a\", \"content\": \"eA==\", \"mode\": \"0600\"}], \"artifacts\": [\"/tmp\"]}"
[ "$STATUS" = 201 ] || [ "$(jbody .code)" != PATH_REFUSED ] || fail "a path inside the mounts was refused: $(cat "$BODY")"
pass
