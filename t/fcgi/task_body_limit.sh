#!/bin/sh
# The task body limit, from ecs-fcgi itself (no nginx in front): 1 MiB by
# default (room for files in base64; it was 5 KiB), so a 900 KiB body runs
# and one over 1 MiB is a 413. An operator who sets body_limit back to 5K
# gets the old 413 for 6 KiB, also when CONTENT_LENGTH understates it
# (cgi-fcgi then sends one buffer, about 8 KiB, of the body: enough to pass
# 5 KiB, not 1 MiB).
. "$(dirname "$0")/lib.sh"
start_server

# 900 KiB of body: 921600 base64 characters of stdin, 691200 bytes decoded.
stdin=$(head -c 691200 /dev/zero | tr '\0' z | base64 -w0)
body=$(printf '{"docker_image": "%s", "cmd": ["wc", "-c"], "network": "none", "stdin": "%s"}' "$IMAGE" "$stdin")
[ "${#body}" -gt 921600 ] || fail "the body is only ${#body} bytes"
post_task "$body"
expect_status 201
[ "$(b64 .stdout | tr -d ' \n')" = 691200 ] || fail "stdin did not arrive whole: $(b64 .stdout)"

arg=$(head -c 1049600 /dev/zero | tr '\0' a)
unpooled post_task "$(task_json echo "$arg")"
expect_error 413 PAYLOAD_TOO_LARGE

stop_server
write_config "body_limit = 5K"
start_server
arg=$(head -c 6144 /dev/zero | tr '\0' a)
unpooled post_task "$(task_json echo "$arg")"
expect_error 413 PAYLOAD_TOO_LARGE
unpooled post_task "$(task_json echo "$arg")" CONTENT_LENGTH=100
expect_error 413 PAYLOAD_TOO_LARGE
pass
