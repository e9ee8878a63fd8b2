#!/bin/sh
# Six concurrent tasks that flood both streams past a 3 s timeout each
# answer within the timeout plus 2 s (issue 22, finding 3: the kill went out
# while nobody drained the attach stream, stalled behind the engine's
# blocked writer, and answers came after 33 and 44 s). Each is a 201,
# timedOut true, exit 137, with byte counts at or over what was kept (the
# caps hold as bytes arrive, and the kept bytes are the task's zeros); no
# container of theirs is left. The bound is the product's contract: the
# timeout counts from when the process runs (the API reference), so from
# request to answer (the responder's request log) it takes at most pull +
# create + start (the answer's own timings) + timeout + 2 s; the client's
# own clock may add 1 s for its processes on a loaded machine. Pooled mode
# (ECS_TEST_POOL=1): six warm containers, every answer pooled.
. "$(dirname "$0")/lib.sh"
N=6
TIMEOUT=3
CAP=65536
POOL_SIZE=$N
write_config "max_timeout = 10" "max_concurrent_executing_http_requests = $N" "max_client_tasks = 0" \
	"stdout_cap = $CAP" "stderr_cap = $CAP"
sed -i '/^max_concurrent_executing_http_requests = 4$/d' "$T/ecs.conf"
start_server
if [ -n "$POOLED" ]; then
	# every task must find a warm container: all six there before the first
	pool_all_warm() { [ "$(pool_warm_count)" -ge "$N" ] 2>/dev/null; }
	for _ in $(seq 1 600); do pool_all_warm && break; sleep 0.1; done
	pool_all_warm || fail "only $(pool_warm_count) of $N warm containers after 60 s"
fi
marker="flood.$$"
body=$(jq -cn --arg img "$IMAGE" --arg m "$marker" --argjson t "$TIMEOUT" '{docker_image: $img,
	network: "none", timeout: $t, cmd: ["sh", "-c", "cat /dev/zero & cat /dev/zero >&2; : \($m)"]}')
# timed_task I: the request through cgi-fcgi, timed around that one call
# alone (req's own work, under load, is not the service's); the answer's
# body in answer.I, the milliseconds in elapsed.I. Not answered in 60 s
# fails (the old code took up to 46 s).
timed_task() {
	raw=$T/raw.$1
	t0=$(date +%s%N)
	printf '%s' "$body" | env -i PATH="$PATH" REQUEST_METHOD=POST REQUEST_URI=/v1.1/tasks \
		SCRIPT_NAME=/v1.1/tasks QUERY_STRING= SERVER_NAME=localhost SERVER_PORT=80 \
		SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 CONTENT_TYPE=application/json \
		CONTENT_LENGTH="${#body}" timeout 60 cgi-fcgi -bind -connect "$SOCK" > "$raw" ||
		fail "client $1: cgi-fcgi failed or timed out (60 s)"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) > "$T/elapsed.$1"
	grep -q '^Status: 201' "$raw" || fail "client $1: not a 201: $(head -c 600 "$raw")"
	sed '1,/^\r*$/d' "$raw" > "$T/answer.$1"
	[ "$(jq -r .pooled < "$T/answer.$1")" = "$want_pooled" ] ||
		fail "client $1: pooled is not $want_pooled: $(head -c 300 "$T/answer.$1")"
}
want_pooled=false
[ -z "$POOLED" ] || want_pooled=true
for i in $(seq 1 $N); do
	timed_task "$i" > "$T/client.$i" 2>&1 &
	clients="${clients:-} $!"
done
i=0
for c in $clients; do
	i=$((i + 1))
	wait "$c" || fail "client $i: $(cat "$T/client.$i")"
done
for i in $(seq 1 $N); do
	a=$T/answer.$i
	ms=$(cat "$T/elapsed.$i")
	echo "task $i: answered in $ms ms: $(jq -c '{timedOut, exitCode, stdoutBytes, stderrBytes, pooled, timings}' "$a")"
	BODY=$a
	expect_json .timedOut true
	expect_json .exitCode 137
	# before the process ran: the image, the create and the start (0 when pooled)
	before=$(jq '.timings.pull + .timings.create + .timings.start | floor' "$a")
	# the responder's own measure, request in to answer out (its log line)
	served=$(sed -n "s/.* duration_ms=\([0-9]*\)[.0-9]* task_id=$(jbody .taskId) .*/\1/p" "$T/server.log")
	[ -n "$served" ] || fail "task $i: no request log line"
	echo "task $i: served in $served ms, $before ms before its process ran"
	[ $((served - before)) -le $(((TIMEOUT + 2) * 1000)) ] ||
		fail "task $i answered $served ms after its request, $before of them before its process ran: over the ${TIMEOUT} s timeout + 2 s"
	# the client's measure adds its own processes (cgi-fcgi, date): up to 1 s more on a loaded machine
	[ $((ms - before)) -le $(((TIMEOUT + 3) * 1000)) ] ||
		fail "task $i: the client waited $ms ms, $before of them before its process ran"
	for s in stdout stderr; do
		n=$(jbody ".${s}Bytes")
		kept=$(jbody ".$s" | base64 -d | wc -c)
		nonzero=$(jbody ".$s" | base64 -d | tr -d '\000' | wc -c)
		[ "$n" -gt 0 ] || fail "task $i: ${s}Bytes $n"
		want=$n
		[ "$n" -le $CAP ] || want=$CAP
		[ "$kept" -eq "$want" ] || fail "task $i: $kept bytes of $s kept, want $want (${s}Bytes $n, cap $CAP)"
		[ "$nonzero" -eq 0 ] || fail "task $i: $s holds $nonzero bytes the task did not write"
		if [ "$n" -gt $CAP ]; then expect_json ".${s}Truncated" true; else expect_json ".${s}Truncated" false; fi
	done
done
# The responder answers before the reaper deletes: wait for that, then none may be left.
no_flood() { ! marker_containers "$marker" >/dev/null; }
wait_for 10 no_flood || fail "flooding containers still running: $(marker_containers "$marker" | tr '\n' ' ')"
for id in $(container_ids); do
	wait_for 10 container_gone "$id" || fail "container $id was not deleted"
done
# how the kills went, for the record
grep -o 'container [0-9a-f]*: \(kill took\|kill did not\|neither\)[^"(]*' "$T/server.log"
pass
