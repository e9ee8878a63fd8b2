#!/bin/sh
# Image patterns match the parsed reference, part by part: '*' never
# crosses '/', ':' or '.'. So "python:*" does not admit python:5000/evil/x:1
# (a registry at host "python", port 5000), "ecs*" does not admit
# ecs.evil.io/x:1, and "ecs/busybox:*" no other registry's ecs/busybox.
# Each is a 403 before the engine is asked anything.
. "$(dirname "$0")/lib.sh"
alice="SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=alice,O=Example"
write_config "auth = client-cert" "allowed_registries = docker.io python:5000 ecs.evil.io 127.0.0.1:5000" \
	"" '[client "CN=alice,O=Example"]' "images = python:* ecs* ecs/busybox:*"
start_server
for img in python:5000/evil/x:1 ecs.evil.io/x:1 127.0.0.1:5000/ecs/busybox:latest ecs/busybox/x:1 \
		"ecs/busybox:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; do
	# shellcheck disable=SC2086
	post_task "{\"docker_image\": \"$img\", \"cmd\": [\"true\"], \"network\": \"none\"}" $alice
	expect_error 403 FORBIDDEN
done
# docker.io/library/ is one image however it is written: the pattern admits it.
# shellcheck disable=SC2086
post_task "$(task_json echo ok)" $alice
expect_status 201
[ "$(b64 .stdout)" = ok ] || fail "stdout: $(b64 .stdout)"
# shellcheck disable=SC2086
post_task '{"docker_image": "docker.io/ecs/busybox:latest", "cmd": ["true"], "network": "none"}' $alice
expect_status 201
pass
