#!/bin/sh
# The original's four bad bodies: no image, no cmd, empty cmd, empty object.
. "$(dirname "$0")/lib.sh"
start_server
post_task '{"cmd": ["echo", "hello"]}'
expect_error 400 BAD_REQUEST_BODY
post_task '{"docker_image": "ecs/busybox:latest"}'
expect_error 400 BAD_REQUEST_BODY
post_task '{"docker_image": "ecs/busybox:latest", "cmd": []}'
expect_error 400 BAD_REQUEST_BODY
post_task '{}'
expect_error 400 BAD_REQUEST_BODY
pass
