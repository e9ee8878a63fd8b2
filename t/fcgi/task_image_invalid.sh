#!/bin/sh
# A docker_image that is not a valid reference (or has no tag) is a 400
# IMAGE_NAME_IS_INVALID.
. "$(dirname "$0")/lib.sh"
start_server
post_task '{"docker_image": "Not A Valid Image", "cmd": ["true"]}'
expect_error 400 IMAGE_NAME_IS_INVALID
post_task '{"docker_image": "ecs/busybox", "cmd": ["true"]}'
expect_error 400 IMAGE_NAME_IS_INVALID
pass
