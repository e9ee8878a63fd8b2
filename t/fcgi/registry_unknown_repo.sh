#!/bin/sh
# A repository the registry does not have is a 404 IMAGE_NOT_FOUND.
. "$(dirname "$0")/lib.sh"
need_registry
start_server
post_task "$(creds_json "$ECS_TEST_REGISTRY/ecs/no-such-repo-4711:1" "$ECS_TEST_REGISTRY_PASSWORD" true)"
expect_error 404 IMAGE_NOT_FOUND
pass
