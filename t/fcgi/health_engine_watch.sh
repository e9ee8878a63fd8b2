#!/bin/sh
# The quick health check (and so the load balancer's probe) answers from the
# engine's health as last seen by ecs-fcgi's background check, never from a
# request to the engine: with engine_check_interval = 1 it turns 503 red
# (with a JSON reason) within two intervals of the engine going away, and
# 200 green within two intervals of its return, whether the engine refuses
# connections (its process died) or hangs (stopped); while it hangs every
# probe still answers at once. The engine is the real one, reached through
# a small unix-socket relay that this test kills, restarts, stops and
# continues. _metrics and the comprehensive check show the last check.
. "$(dirname "$0")/lib.sh"
INTERVAL=1
# Measured on ecs-fcgi's side: from the fault (or the engine's return) to the
# log line of the check that saw it, whose ts= is when the quick check's
# answer changed. Two intervals, plus scheduling on a busy machine. (The
# probes themselves are too slow a clock here: each spawns cgi-fcgi.)
BOUND_MS=$((2 * INTERVAL * 1000 + 300))
RELAY=$T/engine.sock
RELAY_PID=

relay_start() {
	python3 - "$RELAY" "$DOCKER_SOCK" >>"$T/relay.log" 2>&1 <<'PY' &
import os, socket, sys, threading, time
listen, target = sys.argv[1], sys.argv[2]
try:
    os.unlink(listen)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX)
srv.bind(listen)
srv.listen(64)
# When the engine is reachable again: the test measures from here.
with open(listen + ".up", "w") as f:
    f.write("%d\n" % int(time.time() * 1000))
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def serve(c):
    u = socket.socket(socket.AF_UNIX)
    try:
        u.connect(target)
    except OSError:
        c.close()
        return
    t = threading.Thread(target=pump, args=(c, u), daemon=True)
    t.start()
    pump(u, c)
    t.join()
    c.close()
    u.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	RELAY_PID=$!
	wait_for 10 curl -sf --max-time 2 --unix-socket "$RELAY" http://d/_ping || fail "the relay does not reach the engine"
}
relay_kill() { kill -KILL "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; RELAY_PID=; }
cleanup_relay() {
	[ -z "$RELAY_PID" ] || { kill -CONT "$RELAY_PID"; kill -KILL "$RELAY_PID"; } 2>/dev/null
	cleanup
}
trap cleanup_relay EXIT

now_ms() { date +%s%3N; }
probe() { REQ_TIMEOUT=2 req "${1:-GET}" '/v1.1/_health?quick=true' "" ECS_TRUSTED_PROBE=1; }
# check_event_after SINCE_MS TEXT WHAT [FROM_MS]: wait (10 s at most,
# probing all the while: a probe that hung would fail the test) for the
# engine check's log line with TEXT stamped after SINCE_MS; it must be
# within BOUND_MS of FROM_MS (default SINCE_MS).
check_event_after() {
	from=${4:-$1}
	deadline=$(($(now_ms) + 10000))
	while :; do
		ev=$(grep "event=engine_check msg=\"$2" "$T/server.log" | tail -n 1 | sed -n 's/^ts=\([^ ]*\) .*/\1/p')
		if [ -n "$ev" ]; then
			ev_ms=$(date -d "$ev" +%s%3N)
			[ "$ev_ms" -lt "$1" ] || break
		fi
		[ "$(now_ms)" -lt "$deadline" ] || fail "no '$2' logged 10 s after the $3"
		probe
	done
	[ $((ev_ms - from)) -le "$BOUND_MS" ] || fail "'$2' $((ev_ms - from)) ms after the $3, over two intervals ($BOUND_MS ms)"
	echo "  $2: $((ev_ms - from)) ms after the $3"
}
expect_red() {
	expect_status 503
	expect_header Content-Type 'application/json; charset=utf-8'
	expect_json .status red
	[ "$(jbody '.reason | length')" -gt 0 ] || fail "no reason in the red answer: $(cat "$BODY")"
}
ME="SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=alice"

relay_start
write_config "auth = client-cert" "docker_remote_api = unix://$RELAY" "engine_check_interval = $INTERVAL"
start_server
probe
expect_status 200
expect_json .status green
# shellcheck disable=SC2086 # $ME: two params
req GET /v1.1/_metrics "" $ME
grep -qx 'ecs_engine_check_up 1' "$BODY" || fail "_metrics: no ecs_engine_check_up 1: $(grep engine_check "$BODY")"

echo "the engine's process dies (connections refused)"
t=$(now_ms)
relay_kill
check_event_after "$t" "the engine failed" "relay was killed"
probe
expect_red
probe HEAD
expect_status 503
[ ! -s "$BODY" ] || fail "HEAD's 503 has a body"
# The authenticated quick check says the same: it reads the same state.
# shellcheck disable=SC2086
req GET /v1.1/_health "" $ME
expect_red
# shellcheck disable=SC2086
req GET /v1.1/_metrics "" $ME
grep -qx 'ecs_engine_check_up 0' "$BODY" || fail "_metrics: no ecs_engine_check_up 0: $(grep engine_check "$BODY")"
grep -q '^ecs_engine_check_age_seconds [0-9]' "$BODY" || fail "_metrics: no ecs_engine_check_age_seconds"
grep -q '^ecs_engine_check_failures_total [1-9]' "$BODY" || fail "_metrics: no failed check counted"
# shellcheck disable=SC2086
req GET '/v1.1/_health?quick=false' "" $ME
expect_status 503
expect_json .details.engineCheck.status red
expect_json .details.engine.connectivity red

echo "the engine comes back"
t=$(now_ms)
relay_start
check_event_after "$t" "the engine passed" "relay listened again" "$(cat "$RELAY.up")"
probe
expect_status 200
expect_json .status green
# shellcheck disable=SC2086
req GET '/v1.1/_health?quick=false' "" $ME
expect_status 200
expect_json .details.engineCheck.status green

echo "the engine hangs (stopped): the probe never waits for it"
t=$(now_ms)
kill -STOP "$RELAY_PID"
check_event_after "$t" "the engine failed" "relay was stopped"
probe
expect_red
# Every probe answered (REQ_TIMEOUT) while the check hung; ecs-fcgi's own
# time for each, from its log, shows none of them waited for the engine.
slowest=$(grep 'client=load-balancer-probe' "$T/server.log" | sed -n 's/.* duration_ms=\([0-9]*\).*/\1/p' | sort -n | tail -n 1)
[ "${slowest:-0}" -lt 200 ] || fail "a probe took $slowest ms in ecs-fcgi"
echo "  the slowest probe took $slowest ms in ecs-fcgi"
t=$(now_ms)
kill -CONT "$RELAY_PID"
check_event_after "$t" "the engine passed" "relay was continued"
probe
expect_status 200
pass
