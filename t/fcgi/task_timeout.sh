#!/bin/sh
# A task past its timeout is killed: 201, timedOut true, exit code 137, and
# what it wrote before on both streams is kept.
. "$(dirname "$0")/lib.sh"
write_config "max_timeout = 10"
start_server
body=$(jq -cn --arg img "$IMAGE" '{docker_image: $img, network: "none", timeout: 1,
	cmd: ["sh", "-c", "echo before; echo err >&2; sleep 30; echo after"]}')
post_task "$body"
expect_status 201
expect_json .timedOut true
expect_json .exitCode 137
expect_json .oomKilled false
[ "$(b64 .stdout)" = before ] || fail "stdout: $(b64 .stdout)"
[ "$(b64 .stderr)" = err ] || fail "stderr: $(b64 .stderr)"
pass
