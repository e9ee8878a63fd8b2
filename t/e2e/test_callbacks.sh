#!/bin/bash
# Callbacks through nginx (issue 18, point 3), on a stack of our own whose
# ecs.conf allows one receiver by address (callback_allow =
# http://127.0.0.1:PORT) with a secret; the receiver is this test's own
# HTTP server on loopback:
#  - an async task's callback arrives once, signed: the test recomputes the
#    HMAC-SHA256 over "t." + body with the secret, the headers name the task
#    and the delivery, and the body is the task's status document;
#  - a synchronous task's callback answered 500 once arrives again (the same
#    delivery id, a valid signature each time): attempts 2, state delivered;
#  - a redirect from the receiver is never followed;
#  - a callback elsewhere (a port not listed, a name resolving to loopback,
#    userinfo, plain http to an address listed for https) is 400
#    CALLBACK_REFUSED before anything runs: no task recorded, no container.
# Ports: ECS_CALLBACK_PORTS (five consecutive; default 8615: receiver, a port
# nobody listens on, HTTPS, redirect, health).
# The stack is ours, made here: not the deployment's.
E2E_NO_DEPLOYMENT=1
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ECS_STACK=$E2E_REPO/scripts/stack.sh
ECS_TEST_IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
base=${ECS_CALLBACK_PORTS:-8615}
recv_port=$base unlisted_port=$((base + 1)) https_port=$((base + 2)) redirect_port=$((base + 3)) health_port=$((base + 4))
if ! docker info >/dev/null 2>&1; then
    skip "no local engine: the callback stack is not started"
    finish
fi

# ---- the receiver: records each POST (headers, then body) by path and count
recv=$E2E_TMP/recv
mkdir -p "$recv"
cat >"$E2E_TMP/receiver.py" <<'EOF'
import http.server, json, os, sys, threading
port, out = int(sys.argv[1]), sys.argv[2]
seen, lock = {}, threading.Lock()
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            n = seen[self.path] = seen.get(self.path, 0) + 1
            name = os.path.join(out, self.path.strip("/").replace("/", "_") + ".%d" % n)
            with open(name + ".body", "wb") as f:
                f.write(body)
            with open(name + ".tmp", "w") as f:   # the headers last: the record is whole
                json.dump({k.lower(): v for k, v in self.headers.items()}, f)
            os.rename(name + ".tmp", name + ".headers")
        code = 500 if self.path.startswith("/fail-once/") and n == 1 else 302 if self.path.startswith("/redirect/") else 200
        self.send_response(code)
        if code == 302:
            self.send_header("Location", "http://127.0.0.1:%d/ok/redirected" % port)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
open(os.path.join(out, "ready"), "w").close()
server.serve_forever()
EOF
python3 "$E2E_TMP/receiver.py" "$recv_port" "$recv" 2>"$E2E_TMP/receiver.log" &
receiver=$!
e2e_on_exit "kill $receiver 2>/dev/null"
wait_for 10 test -f "$recv/ready" || { say "receiver did not start: $(cat "$E2E_TMP/receiver.log")"; exit 1; }

# received PATH: how many POSTs PATH got
received() { find "$recv" -name "$(echo "${1#/}" | tr / _).*.headers" | wc -l; }
# signed PATH N: the N-th POST to PATH carries a valid ECS-Signature for its body
signed() {
    python3 - "$secret" "$recv/$(echo "${1#/}" | tr / _).$2" <<'EOF'
import hashlib, hmac, json, sys
secret, rec = sys.argv[1].encode(), sys.argv[2]
headers, body = json.load(open(rec + ".headers")), open(rec + ".body", "rb").read()
f = dict(kv.split("=", 1) for kv in headers["ecs-signature"].split(","))
mac = hmac.new(secret, f["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
sys.exit(0 if hmac.compare_digest(mac, f["v1"]) else 1)
EOF
}
# hdr PATH N NAME: a header of the N-th POST to PATH
hdr() { jq -r --arg n "$3" '.[$n] // empty' "$recv/$(echo "${1#/}" | tr / _).$2.headers"; }
# rbody PATH N FILTER: jq on the N-th POST's body
rbody() { jq -r "$3" "$recv/$(echo "${1#/}" | tr / _).$2.body"; }

# ---- our stack: callbacks allowed to the receiver alone, signed ------------
own=$E2E_TMP/stack
mkdir -p "$own"
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$own/base.conf" <<EOF
[ecs]
allowed_registries = docker.io
callback_allow = http://127.0.0.1:$recv_port, 127.0.0.1:$unlisted_port, localhost:$recv_port
callback_secret = $secret
callback_timeout = 5
pool_budget = 0
EOF
e2e_on_exit 'own_stack stop >/dev/null 2>&1'
if ! own_stack start >"$own/start.log" 2>&1; then
    not_ok "our stack did not start: $(tail -n 5 "$own/start.log") $(tail -n 5 "$own/ecs-fcgi.log" 2>/dev/null)"
    finish
fi
# shellcheck source=/dev/null
. "$own/ecs.env"
ECS_KEY=${ECS_KEY:-} ECS_SECRET=${ECS_SECRET:-}

marker=cb-$$-$RANDOM
# The containers this stack's instance created since a time (the engine's events; they are gone by now).
instance=$(basename "$(ls "$own"/instances/*.lock)" .lock)
creates_since() {
    docker events --since "$1" --until "$(date +%s.%N)" --filter type=container --filter event=create \
        --filter "label=ecs.instance=$instance" --format '{{.ID}}' | wc -l
}
t_begin=$(date +%s.%N)
# submit PREFER CALLBACK_URL CMD: POST a task (PREFER: async or sync) with a callback
submit() {
    body=$(jq -cn --arg i "$ECS_TEST_IMAGE" --arg u "$2" --arg c "$3" --arg m "$marker" \
        '{docker_image: $i, cmd: ["sh", "-c", $c], network: "none", callback: {url: $u}, labels: {probe: $m}}')
    if [ "$1" = async ]; then
        api /v1.1/tasks -H 'Content-Type: application/json' -H 'Prefer: respond-async' --data "$body"
    else
        api /v1.1/tasks -H 'Content-Type: application/json' --data "$body"
    fi
}
# callback_is ID STATE ATTEMPTS: the task's document says so
callback_is() {
    api "/v1.1/tasks/$1" >/dev/null
    [ "$STATUS" = 200 ] && jq -e --arg s "$2" --argjson a "$3" \
        '.callback.state == $s and .callback.attempts == $a' "$E2E_TMP/body" >/dev/null
}

# ---- an async task's callback: once, signed, the status document ---------------
submit async "http://127.0.0.1:$recv_port/ok/1" "echo callback-$marker"
check "async with a callback: 202" expect_status 202
id1=$(jbody .taskId)
if wait_for 60 callback_is "$id1" delivered 1; then
    ok "the task's document says delivered after 1 attempt"
else
    not_ok "not delivered in 60 s: $(head -c 600 "$E2E_TMP/body")"
fi
delivery=$(jbody .callback.deliveryId)
VALIDATE=$E2E_REPO/t/lib/openapi_validate.py
check "the document matches openapi.yaml (TaskStatus, its callback member)" \
    "$VALIDATE" GET "/v1.1/tasks/$id1" 200 <"$E2E_TMP/body"
check "the callback arrived once" [ "$(received /ok/1)" = 1 ]
check "its ECS-Signature is HMAC-SHA256(secret, t.body)" signed /ok/1 1
check "ECS-Task-Id names the task" [ "$(hdr /ok/1 1 ecs-task-id)" = "$id1" ]
check "ECS-Delivery is the document's deliveryId" [ "$(hdr /ok/1 1 ecs-delivery)" = "$delivery" ]
check "Content-Type is application/json" [ "$(hdr /ok/1 1 content-type)" = application/json ]
check "the delivered body matches openapi.yaml (TaskStatus)" "$VALIDATE" GET "/v1.1/tasks/$id1" 200 <"$recv/ok_1.1.body"
check "the body is the task's document: succeeded, its output" \
    [ "$(rbody /ok/1 1 '.taskId + " " + .status + " " + (.result.stdout | @base64d)')" = "$id1 succeeded callback-$marker" ]

# ---- a synchronous task's callback, answered 500 once: delivered on the second try
submit sync "http://127.0.0.1:$recv_port/fail-once/2" "echo sync-$marker"
check "sync with a callback: 201" expect_status 201
id2=$(jbody .taskId)
if [ -n "$id2" ] && [ "$id2" != null ] && wait_for 60 callback_is "$id2" delivered 2; then
    ok "after a 500, delivered on the second attempt (attempts 2)"
else
    not_ok "sync task ${id2:-without an id}: not delivered twice in 60 s: $(head -c 600 "$E2E_TMP/body")"
fi
check "the receiver got it twice" [ "$(received /fail-once/2)" = 2 ]
check "both attempts signed" signed /fail-once/2 1
check "both attempts signed (2)" signed /fail-once/2 2
check "one delivery id on both attempts" [ "$(hdr /fail-once/2 1 ecs-delivery)" = "$(hdr /fail-once/2 2 ecs-delivery)" ]
check "the second attempt's document counts the first" [ "$(rbody /fail-once/2 2 .callback.attempts)" = 1 ]

# ---- a redirect from the receiver is not followed -----------------------------
submit async "http://127.0.0.1:$recv_port/redirect/3" "true"
id3=$(jbody .taskId)
attempted() { api "/v1.1/tasks/$1" >/dev/null; [ "$(jbody '.callback.attempts // 0')" -ge 1 ]; }
if wait_for 60 attempted "$id3"; then
    check "a 302 is a failed attempt (pending, lastStatus 302)" \
        [ "$(jbody '.callback.state + " " + (.callback.lastStatus | tostring)')" = "pending 302" ]
    check "a pending callback's document matches openapi.yaml" "$VALIDATE" GET "/v1.1/tasks/$id3" 200 <"$E2E_TMP/body"
else
    not_ok "no attempt at the redirecting receiver in 60 s: $(head -c 400 "$E2E_TMP/body")"
fi
check "the redirect's target got nothing" [ "$(received /ok/redirected)" = 0 ]

# ---- refused before anything runs ------------------------------------------
check "the engine's events show this stack's tasks being created" [ "$(creates_since "$t_begin")" -ge 3 ]
t_refusals=$(date +%s.%N)
refused() { # refused DESC PREFER URL
    submit "$2" "$3" "sleep 30; echo refused-$marker"
    check "$1: 400 CALLBACK_REFUSED" expect_error 400 CALLBACK_REFUSED
}
refused "a port not on the list" async "http://127.0.0.1:$((recv_port + 10))/x"
refused "a port not on the list (sync)" sync "http://127.0.0.1:$((recv_port + 10))/x"
refused "plain http to an address listed for https" async "http://127.0.0.1:$unlisted_port/x"
refused "an allowed name that resolves to loopback" async "http://localhost:$recv_port/x"
refused "userinfo before a listed address" async "http://allowed.example@127.0.0.1:$recv_port/x"
refused "a decimal address" async "http://2130706432:$recv_port/x"
refused "an address not listed" async "http://10.0.0.1:$recv_port/x"
api "/v1.1/tasks?label=probe=$marker&limit=100"
check "the refused tasks were never recorded" \
    [ "$(jq --arg i1 "$id1" --arg i2 "$id2" --arg i3 "$id3" \
        '[.tasks[].taskId | select(. != $i1 and . != $i2 and . != $i3)] | length' "$E2E_TMP/body")" = 0 ]
check "no container was created for a refused task" [ "$(creates_since "$t_refusals")" = 0 ]
check "the receiver got nothing for them" [ "$(received /x)" = 0 ]

# ---- _metrics ------------------------------------------------------------------
api /v1.1/_metrics
metric() { awk -v k="ecs_callback_deliveries_total{result=\"$1\"}" '$1 == k { print $2 }' "$E2E_TMP/body"; }
check "_metrics: deliveries delivered >= 2" [ "$(metric delivered)" -ge 2 ]
check "_metrics: deliveries retried >= 2 (the 500, the 302)" [ "$(metric retried)" -ge 2 ]

own_stack stop >/dev/null 2>&1
for id in "$id1" "$id2" "$id3"; do
    [ -z "$id" ] || [ "$id" = null ] || check "task $id: no container left" wait_for 20 task_gone "$id"
done
finish
