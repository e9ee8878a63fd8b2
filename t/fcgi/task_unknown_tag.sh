#!/bin/sh
# An image tag the engine does not have is a 404 IMAGE_NOT_FOUND.
# (pull_policy never: the test machine may have no way to a registry.)
. "$(dirname "$0")/lib.sh"
write_config "pull_policy = never"
start_server
post_task '{"docker_image": "ecs/busybox:no-such-tag-4711", "cmd": ["true"], "network": "none"}'
expect_error 404 IMAGE_NOT_FOUND
pass
