#!/bin/bash
# One client floods the service while another still gets its tasks run,
# through the real nginx front with two client certificates of the same CA
# (two identities). With 4 task workers and max_client_tasks = 2, the
# flooder (8 clients at once, each looping) holds at most 2 tasks; every
# other task of its is answered at once with a JSON 429 TOO_MANY_TASKS and
# Retry-After (or a JSON 503 when the queue is full), never a hang. The other
# client's tasks, 2 at a time, all answer 201 with their own output; the
# quick health check and _noop answer within 5 s throughout; _metrics counts
# exactly the 429s the flooder saw; nothing is left on the engine.
# nginx's own rate and connection limits are raised (t/fault/lib.sh), so the
# responder's fairness is what is exercised. Its own private dockerd keeps
# the flood off the shared engine. Bounded: at most FLOOD_CLIENTS x
# FLOOD_EACH flood requests, and they stop once the other client is done;
# every request has curl --max-time; tasks run with network none.
# shellcheck source=t/fault/lib.sh
. "$(dirname "$0")/lib.sh"
FLOOD_CLIENTS=8 FLOOD_EACH=40 CAP=2 ROUNDS=5
fault_setup "max_concurrent_executing_http_requests = 4" "max_client_tasks = $CAP"

# The flooder: a second identity (CN=ecs-flooder) from the stack's own CA.
"$FAULT_REPO/scripts/make-certs.sh" client "$RUN/certs" ecs-flooder >/dev/null 2>&1
FLOOD_CERT=$RUN/certs/ecs-flooder.crt FLOOD_KEY=$RUN/certs/ecs-flooder.key
check "a second client certificate" [ -s "$FLOOD_CERT" ]
CERT=$FLOOD_CERT KEY=$FLOOD_KEY post_task echo flooder
check "the flooder is a client too (201)" [ "$STATUS" = 201 ] && [ "$(jbody .stdout | base64 -d)" = flooder ]

STOP=$T/stop
flood_marker="sleep 6.$$"
# flood_loop N: up to FLOOD_EACH tasks one after another, until $STOP; one
# line per answer in $T/flood/N/log: STATUS CODE RETRY-AFTER STDOUT. A flood
# task prints "flood START END", the engine host's clock (whole seconds)
# before and after its sleep: the tasks tell when they ran themselves.
flood_loop() {
    local T=$T/flood/$1 k=0 ra
    mkdir -p "$T"
    while [ $k -lt $FLOOD_EACH ] && [ ! -e "$STOP" ]; do
        k=$((k + 1))
        MAX_TIME=30 CERT=$FLOOD_CERT KEY=$FLOOD_KEY post_task sh -c "s=\$(date +%s); $flood_marker; echo flood \$s \$(date +%s)"
        ra=$(tr -d '\r' <"$T/headers" 2>/dev/null | awk -F': ' 'tolower($1) == "retry-after" { print $2 }')
        if [ "$STATUS" = 201 ]; then
            echo "201 - ${ra:--} $(jbody .stdout | base64 -d 2>/dev/null)"
        elif is_json_error 429 503 >/dev/null; then
            echo "$STATUS $(jbody .code) ${ra:--} -"
        else
            echo "$STATUS bad - $(head -c 200 "$T/body" | tr '\n' ' ')"
        fi >>"$T/log"
    done
}
flood_pids=
for n in $(seq "$FLOOD_CLIENTS"); do
    flood_loop "$n" &
    flood_pids="$flood_pids $!"
done
CLIENT_PIDS="$CLIENT_PIDS $flood_pids"
flood_running() { running_marker "$flood_marker"; }
check "the flood's tasks run" wait_for 30 flood_running

# The other client, while the flood goes on: ROUNDS rounds of CAP tasks at
# once, and the quick endpoints between rounds.
victim_ok=0 victim_bad=0 quick_bad=0
for r in $(seq "$ROUNDS"); do
    pids=
    for i in $(seq "$CAP"); do
        MAX_TIME=60 bg_task "v$r.$i" echo "victim $r.$i"
        pids="$pids $BG_PID"
    done
    MAX_TIME=5 api /v1.1/_noop
    [ "$STATUS" = 200 ] || { quick_bad=$((quick_bad + 1)); say "  _noop: HTTP $STATUS"; }
    MAX_TIME=5 api /v1.1/_health
    if [ "$STATUS" != 200 ] || [ "$(jbody .status)" != green ]; then
        quick_bad=$((quick_bad + 1)); say "  _health: HTTP $STATUS $(head -c 200 "$T/body")"
    fi
    # shellcheck disable=SC2086 # one pid per word
    wait $pids
    for i in $(seq "$CAP"); do
        bg_result "v$r.$i"
        if [ "$STATUS" = 201 ] && [ "$(jbody .stdout | base64 -d)" = "victim $r.$i" ]; then
            victim_ok=$((victim_ok + 1))
        else
            victim_bad=$((victim_bad + 1))
            say "  task $r.$i of the other client: HTTP $STATUS $(head -c 200 "$T/body")"
        fi
    done
done
touch "$STOP"
# shellcheck disable=SC2086 # one pid per word
wait $flood_pids

check "every task of the other client answered 201 with its output ($victim_ok of $((ROUNDS * CAP)))" \
    [ "$victim_bad" -eq 0 ] && [ "$victim_ok" -eq $((ROUNDS * CAP)) ]
check "_noop and the quick health check answered within 5 s throughout" [ "$quick_bad" -eq 0 ]
cat "$T"/flood/*/log >"$T/flood.log"
# How many flood tasks ran at once, from the times they printed: a task that
# printed START and END surely ran through [START+1, END] (whole seconds,
# rounded down), so overlaps of those closed spans never count one too many.
# (Looks at the engine's containers, taken one after another, each take
# seconds under load and missed tasks that had turned over between them.)
most_flood=$(awk '$1 == 201 && $4 == "flood" && $6 > $5 { print $5 + 1, 0; print $6, 1 }' "$T/flood.log" |
    sort -k1,1n -k2,2n | awk '$2 == 0 { n++; if (n > m) m = n } $2 == 1 { n-- } END { print m + 0 }')
check "never more than $CAP of the flooder's tasks ran at once (seen: $most_flood)" [ "$most_flood" -le "$CAP" ]
# (and the flood kept its share busy: else the count above proves nothing)
check "the flooder's tasks ran $CAP at once ($most_flood)" [ "$most_flood" -eq "$CAP" ]
sent=$(wc -l <"$T/flood.log")
ok201=$(awk '$1 == 201 && $4 == "flood"' "$T/flood.log" | wc -l)
n429=$(awk '$1 == 429 && $2 == "TOO_MANY_TASKS" && $3 != "-"' "$T/flood.log" | wc -l)
n503=$(awk '$1 == 503 && $3 != "-"' "$T/flood.log" | wc -l)
say "the flooder sent $sent tasks: $ok201 ran (201), $n429 got 429, $n503 got 503"
check "every flood answer is a 201 with its output, a JSON 429 TOO_MANY_TASKS or 503 with Retry-After" \
    [ $((ok201 + n429 + n503)) -eq "$sent" ]
[ $((ok201 + n429 + n503)) -eq "$sent" ] ||
    awk '!(($1 == 201 && $4 == "flood") || ($1 == 429 && $2 == "TOO_MANY_TASKS") || $1 == 503)' "$T/flood.log" | head -5
check "the flooder was refused (429) at least once" [ "$n429" -gt 0 ]
MAX_TIME=5 api /v1.1/_metrics
m429=$(awk '/^ecs_http_requests_total\{endpoint="tasks",status="429"\}/ { print $2 }' "$T/body")
check "_metrics counts the flooder's 429s (${m429:-none} = $n429)" [ "${m429:-0}" -eq "$n429" ]
check "the refusals are logged for the flooder alone" \
    sh -c "grep 'status=429 code=TOO_MANY_TASKS' '$RUN/ecs-fcgi.log' | grep -vc 'CN=ecs-flooder' | grep -qx 0"
check "no ecs container left (60 s)" wait_for 60 no_ecs_left
finish
