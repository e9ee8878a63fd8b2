#!/bin/sh
# stdin comes to the task byte-exact (every byte value, NULs included) and
# closed after it, so cat ends, and a task given none reads /dev/null; env
# entries come as given (an empty value, a value with '=' and spaces, UTF-8),
# beside the image's own PATH.
. "$(dirname "$0")/lib.sh"
start_server
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 11)' > "$T/in"
[ "$(wc -c < "$T/in")" -eq 2816 ] || fail "the test's own input is $(wc -c < "$T/in") bytes"
body=$(jq -cn --arg img "$IMAGE" --arg in "$(base64 -w0 < "$T/in")" \
	'{docker_image: $img, cmd: ["cat"], network: "none", stdin: $in}')
post_task "$body"
expect_status 201
expect_json .exitCode 0
b64 .stdout > "$T/out"
cmp -s "$T/in" "$T/out" || fail "stdin came back as $(wc -c < "$T/out") different bytes"
expect_json .stdoutBytes 2816

body=$(jq -cn --arg img "$IMAGE" '{docker_image: $img, network: "none",
	cmd: ["sh", "-c", "printf \"%s|\" \"$EMPTY\" \"$EQ\" \"$UTF\" \"${EMPTY+set}\"; echo \"$PATH\" >&2"],
	env: ["EMPTY=", "EQ=a=b c", "UTF=grüße"]}')
post_task "$body"
expect_status 201
[ "$(b64 .stdout)" = "|a=b c|grüße|set|" ] || fail "env: $(b64 .stdout)"
[ -n "$(b64 .stderr)" ] || fail "no PATH from the image"

# No stdin is /dev/null (the engine attaches none), not an empty pipe.
post_task "$(task_json sh -c 'ls -l /proc/self/fd/0 | sed "s/.*-> //"')"
expect_status 201
[ "$(b64 .stdout)" = /dev/null ] || fail "stdin without any: $(b64 .stdout)"
pass
