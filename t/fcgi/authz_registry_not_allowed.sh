#!/bin/sh
# The registry is part of the image name, so without a list any client
# could point the engine at any address it reaches. A registry outside
# allowed_registries (default: Docker Hub, plus hosts [client] patterns name
# literally) is a 403 REGISTRY_NOT_ALLOWED before the engine is asked
# anything: a listener on the named port sees no connection. The control:
# once allowed, the same task does reach the listener.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
PORT=${ECS_TEST_LISTEN_PORT:-8521}
LISTENER_PID=
stop_listener() {
	[ -z "$LISTENER_PID" ] || { kill "$LISTENER_PID" 2>/dev/null; wait "$LISTENER_PID" 2>/dev/null; }
	LISTENER_PID=
}
trap 'stop_listener; cleanup' EXIT
python3 "$(dirname "$0")/../lib/tcp_listener.py" "$PORT" "$T/conns" 2>>"$T/listener.log" &
LISTENER_PID=$!
wait_for 10 test -f "$T/conns.ready" || fail "the listener on 127.0.0.1:$PORT did not start: $(cat "$T/listener.log")"
conns() { [ -f "$T/conns" ] && wc -l < "$T/conns" || echo 0; }
evil="{\"docker_image\": \"127.0.0.1:$PORT/x/y:1\", \"cmd\": [\"true\"], \"network\": \"none\"}"

# The built-in default: Docker Hub only.
write_config "allowed_registries = docker.io"
sed -i '/^allowed_registries/d' "$T/ecs.conf"
start_server
post_task "$evil"
expect_error 403 REGISTRY_NOT_ALLOWED
jbody .message | grep -q "127.0.0.1:$PORT" || fail "the message does not name the registry: $(cat "$BODY")"
post_task "$(printf '%s' "$evil" | jq -c '.creds = {username: "u", password: "p", email: "e@x"}')"
expect_error 403 REGISTRY_NOT_ALLOWED
[ "$(conns)" = 0 ] || fail "the engine connected to 127.0.0.1:$PORT $(conns) time(s)"
stop_server

# A [client] pattern with a wildcard host names no registry: still refused.
write_config "auth = client-cert" "" '[client "CN=alice"]' "images = *.*.*.*:*/x/y:* ecs/busybox:*"
sed -i '/^allowed_registries/d' "$T/ecs.conf"
start_server
post_task "$evil" SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=alice
expect_error 403 REGISTRY_NOT_ALLOWED
[ "$(conns)" = 0 ] || fail "the engine connected to 127.0.0.1:$PORT $(conns) time(s)"
stop_server

# Control: allowed, the engine goes there (so the listener would have seen it).
write_config "allowed_registries = docker.io 127.0.0.1:$PORT"
start_server
post_task "$evil"
# shellcheck disable=SC2015 # both are tests: fail exactly when one fails
[ "$STATUS" != 201 ] && [ "$STATUS" != 403 ] || fail "status $STATUS from a registry that is a bare TCP listener"
wait_for 10 sh -c "[ -s '$T/conns' ]" || fail "control: the engine never connected to the allowed 127.0.0.1:$PORT"
pass
