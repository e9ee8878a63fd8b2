#!/bin/sh
# A private image in the engine's cache runs only for a caller whose
# credentials its registry accepts. With pull_policy if-not-present (and
# never) the engine would run the cached image for anyone once one client
# pulled it: wrong credentials and none must still be a 401
# REGISTRY_UNAUTHORIZED, good ones a 201. The image is removed again at the
# end when it was not here at the start.
. "$(dirname "$0")/lib.sh"
need_registry
private_image_tracked
nocreds=$(jq -cn --arg img "$ECS_TEST_PRIVATE_IMAGE" '{docker_image: $img, cmd: ["echo", "private"], network: "none"}')

write_config "pull_policy = if-not-present"
start_server
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" "$ECS_TEST_REGISTRY_PASSWORD" echo private)"
expect_status 201
[ "$(b64 .stdout)" = private ] || fail "stdout: $(b64 .stdout)"
private_image_present || fail "the image is not cached after a pull"

post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" wrong-password-4711 echo private)"
expect_error 401 REGISTRY_UNAUTHORIZED
post_task "$nocreds"
expect_error 401 REGISTRY_UNAUTHORIZED
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" "$ECS_TEST_REGISTRY_PASSWORD" echo again)"
expect_status 201
[ "$(b64 .stdout)" = again ] || fail "stdout: $(b64 .stdout)"
grep -q -e wrong-password-4711 -e "$ECS_TEST_REGISTRY_PASSWORD" "$T/server.log" && fail "a password leaked into the log"
stop_server

# pull_policy never: the cache is all there is, and it is guarded the same way.
write_config "pull_policy = never"
start_server
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" wrong-password-4711 echo private)"
expect_error 401 REGISTRY_UNAUTHORIZED
post_task "$nocreds"
expect_error 401 REGISTRY_UNAUTHORIZED
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" "$ECS_TEST_REGISTRY_PASSWORD" echo never)"
expect_status 201
pass
