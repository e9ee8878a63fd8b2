#!/bin/sh
# Attack (issue 22, finding 1): an image id reference must not skip
# authorization. The engine resolves "sha256:<hex prefix>" (and a bare
# 64-hex id) against every cached image, so sixteen requests
# "sha256:0".."sha256:f" would reach every image in the cache, private ones
# included, without the registry allow-list or the credential check ever
# seeing a registry. Each id form must be a JSON 400 IMAGE_ID_NOT_ALLOWED
# and no container may run, before and after the private image is pulled
# with credentials by another request. "Docker.io/..." is another registry
# to the engine (it does not lower-case hosts): refused as invalid, never
# matched against docker.io. A digest reference name@sha256:... is
# authorized as its name: the private one still needs credentials.
. "$(dirname "$0")/lib.sh"
need_registry
private_image_tracked

# body IMAGE: a task that would print a marker if it ran.
body() { jq -cn --arg img "$1" '{docker_image: $img, cmd: ["echo", "ran-by-id"], network: "none"}'; }

# refused IMAGE STATUS CODE: the request is refused so, and nothing ran.
# Every failure is collected, so a run on vulnerable code lists each hole.
holes=
refused() {
	post_task "$(body "$1")"
	if [ "$STATUS" != "$2" ] || [ "$(jbody .code 2>/dev/null)" != "$3" ]; then
		holes="$holes
  '$1': $STATUS $(head -c 200 "$BODY")"
		return 0
	fi
	expect_error "$2" "$3"
}

id_of() { docker_api "/images/$1/json" | jq -r .Id; }
id=$(id_of "$IMAGE")
hex=${id#sha256:}
[ ${#hex} = 64 ] || fail "no id for $IMAGE: $id"

write_config "pull_policy = if-not-present"
start_server

attack() {
	for d in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
		refused "sha256:$d" 400 IMAGE_ID_NOT_ALLOWED
	done
	refused "sha256:$(printf '%.12s' "$hex")" 400 IMAGE_ID_NOT_ALLOWED
	refused "$id" 400 IMAGE_ID_NOT_ALLOWED
	refused "$hex" 400 IMAGE_ID_NOT_ALLOWED
	# The engine names a repository with an upper-case host as written:
	# "Docker.io" is not Docker Hub, and no allow-list entry may admit it.
	refused "Docker.io/ecs/busybox:latest" 400 IMAGE_NAME_IS_INVALID
	refused "DOCKER.IO/library/busybox:1" 400 IMAGE_NAME_IS_INVALID
	# A 64-hex repository name looks like an id to the engine's tools.
	refused "$hex:latest" 400 IMAGE_NAME_IS_INVALID
}
attack

# Another client pulls the private image with good credentials...
post_task "$(creds_json "$ECS_TEST_PRIVATE_IMAGE" "$ECS_TEST_REGISTRY_PASSWORD" echo private)"
expect_status 201
[ "$(b64 .stdout)" = private ] || fail "stdout: $(b64 .stdout)"
private_image_present || fail "the private image is not cached after a pull"
pid=$(id_of "$ECS_TEST_PRIVATE_IMAGE")
digest=$(docker_api "/images/$private_enc/json" | jq -r '.RepoDigests[0] // empty')
[ -n "$digest" ] || fail "the pulled private image has no RepoDigests"
# ...and a client without credentials tries its id again, every form.
attack
refused "$pid" 400 IMAGE_ID_NOT_ALLOWED
refused "sha256:$(printf '%.5s' "${pid#sha256:}")" 400 IMAGE_ID_NOT_ALLOWED
# name@digest is authorized as the name: without credentials a 401, with them a 201.
refused "$digest" 401 REGISTRY_UNAUTHORIZED
post_task "$(creds_json "$digest" "$ECS_TEST_REGISTRY_PASSWORD" echo by-digest)"
expect_status 201
[ "$(b64 .stdout)" = by-digest ] || fail "stdout: $(b64 .stdout)"
ran_ok=$(container_ids | wc -l)

stop_server

# With [client] sections, whatever the patterns: the same 400, before them.
alice="SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=alice,O=Example"
write_config "auth = client-cert" "pull_policy = if-not-present" \
	"" '[client "CN=alice,O=Example"]' "images = * */* sha256:* library/sha256:*"
start_server
for img in sha256:2 "sha256:$(printf '%.12s' "$hex")" "$id" "$hex"; do
	# shellcheck disable=SC2086
	post_task "$(body "$img")" $alice
	expect_error 400 IMAGE_ID_NOT_ALLOWED
done
# shellcheck disable=SC2086
post_task "$(body "Docker.io/ecs/busybox:latest")" $alice
expect_error 400 IMAGE_NAME_IS_INVALID

[ -z "$holes" ] || fail "refusals missing (the attack succeeded or was answered otherwise):$holes"
grep -q ran-by-id "$T/server.log" && fail "a task of the attack ran: $(grep ran-by-id "$T/server.log" | head -3)"
# Only the two credentialed tasks ran.
[ "$(container_ids | wc -l)" = "$ran_ok" ] || fail "a container ran under the [client] configuration: $(container_ids)"
[ "$ran_ok" -le 2 ] || fail "$ran_ok containers ran, want at most the 2 credentialed tasks: $(container_ids)"
pass
