#!/bin/sh
# A private image pulled with the right creds runs: 201, and the password
# never reaches the log.
. "$(dirname "$0")/lib.sh"
need_registry
private_image_lock
write_config "pull_policy = always"
start_server
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" "$ECS_TEST_REGISTRY_PASSWORD" echo private)"
expect_status 201
[ "$(b64 .stdout)" = private ] || fail "stdout: $(b64 .stdout)"
grep -q "$ECS_TEST_REGISTRY_PASSWORD" "$T/server.log" && fail "the password leaked into the log"
pass
