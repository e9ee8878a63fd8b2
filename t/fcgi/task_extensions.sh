#!/bin/sh
# The optional extensions: stdin (base64), env, limits and timeout.
. "$(dirname "$0")/lib.sh"
write_config "max_timeout = 10"
start_server
post_task '{"docker_image": "ecs/busybox:latest", "cmd": ["sh", "-c", "cat; echo \" $GREETING\""], "network": "none",
	"stdin": "aGVsbG8=", "env": ["GREETING=world"]}'
expect_status 201
[ "$(b64 .stdout)" = "hello world" ] || fail "stdout: $(b64 .stdout)"
# limits of its own: another sandbox profile, no pool of its key
unpooled post_task '{"docker_image": "ecs/busybox:latest", "cmd": ["sh", "-c", "cat; echo \" $GREETING\""], "network": "none",
	"stdin": "aGVsbG8=", "env": ["GREETING=world"], "limits": {"memory": "64M", "cpus": 0.5, "pids": 32}}'
expect_status 201
[ "$(b64 .stdout)" = "hello world" ] || fail "stdout with limits: $(b64 .stdout)"
post_task '{"docker_image": "ecs/busybox:latest", "cmd": ["sleep", "30"], "network": "none", "timeout": 1}'
expect_status 201
expect_json .timedOut true
expect_json .exitCode 137
post_task '{"docker_image": "ecs/busybox:latest", "cmd": ["true"], "network": "none", "timeout": 11}'
expect_error 400 BAD_REQUEST_BODY
pass
