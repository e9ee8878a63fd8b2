#!/bin/sh
# The registry refusing the task's creds is a 401 REGISTRY_UNAUTHORIZED,
# without WWW-Authenticate (it is not the client's authentication that
# failed), and the password appears nowhere: not in the body, not in the log.
. "$(dirname "$0")/lib.sh"
need_registry
private_image_lock
write_config "pull_policy = always"
start_server
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" wrong-password-4711 true)"
expect_error 401 REGISTRY_UNAUTHORIZED
grep -qi '^WWW-Authenticate' "$HEADERS" && fail "WWW-Authenticate on a registry refusal"
grep -q wrong-password-4711 "$BODY" "$T/server.log" && fail "the password leaked"
pass
