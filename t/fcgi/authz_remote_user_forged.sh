#!/bin/sh
# nginx fills REMOTE_USER from any "Authorization: Basic" header, auth_basic
# on or off. With auth = client-cert, a certificate holder with no [client]
# section of its own must not get [client:alice]'s images by sending
# alice:x: such a section is refused at start (naming its line), and a
# forged REMOTE_USER is ignored. With BASIC in the mode the section works.
. "$(dirname "$0")/lib.sh"
mallory="SSL_CLIENT_VERIFY=SUCCESS"
forged_task() { post_task "$(task_json echo in)" $mallory "SSL_CLIENT_S_DN=CN=mallory,O=Example" REMOTE_USER=alice; }

write_config "auth = client-cert" "" '[client "CN=carol,O=Example"]' "images = other/tool:1" \
	"" "[client:alice]" "images = ecs/busybox:*"
if "$ECS_FCGI" --check-config --config "$T/ecs.conf" >"$T/check.out" 2>&1; then
	start_server
	forged_task
	fail "[client:alice] accepted with auth = client-cert; the forged REMOTE_USER got $STATUS: $(cat "$BODY")"
fi
# (the section's line in the file write_config wrote: its defaults come first)
line=$(grep -n '^\[client:alice\]$' "$T/ecs.conf" | cut -d: -f1)
grep -q "ecs.conf:$line: client 'alice' is a \[client:USER\] section, but auth has no basic" "$T/check.out" ||
	fail "the refusal does not name the section's line: $(cat "$T/check.out")"

# Without a user section, the forged name reaches nothing either.
write_config "auth = client-cert" "" '[client "CN=carol,O=Example"]' "images = other/tool:1"
start_server
forged_task
expect_error 403 FORBIDDEN
grep -q 'client="CN=mallory,O=Example"' "$T/server.log" || fail "the log does not name the certificate's subject"
stop_server

# With BASIC on, REMOTE_USER is nginx's authenticated user: alice's section applies.
rm -f "$T/server.log"
write_config "auth = client-cert+basic" "" "[client:alice]" "images = ecs/busybox:*"
start_server
forged_task
expect_status 201
pass
