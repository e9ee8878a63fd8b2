#!/bin/bash
# A request body that stops arriving: nginx (1.22) ends the request at
# client_body_timeout (default 60 s; the stack's own value is read from its
# rendered nginx.conf, so a test stack started with
# ECS_NGINX_CLIENT_BODY_TIMEOUT=5s waits 5 s) by closing the connection without any
# response (ngx_http_finalize_request terminates NGX_HTTP_REQUEST_TIME_OUT;
# no error_page runs), and logs 408. docs/errors.md promises exactly that.
# nginx buffers the whole body before it talks to ecs-fcgi, so a stalled
# client never reaches (nor holds) a responder worker: ecs-fcgi logs
# nothing of it, and another request is answered meanwhile. Needs the local
# stack's logs (ECS_STACK from run/ecs.env).
. "$(dirname "$0")/lib.sh"

export ECS_RUN=${ECS_RUN:-$(dirname "$ECS_CA_CERT")/..}
FCGI_LOG=$ECS_RUN/ecs-fcgi.log
ACCESS_LOG=$ECS_RUN/nginx/logs/access.log
if [ -z "${ECS_STACK:-}" ] || [ ! -f "$FCGI_LOG" ] || [ ! -f "$ACCESS_LOG" ]; then
    skip "not the local demo stack: no logs to read"
    finish
fi
command -v python3 >/dev/null || { skip "no python3"; finish; }

# The stack's client_body_timeout in seconds (nginx's 60 s when unset).
body_timeout=$(sed -n 's/^[[:space:]]*client_body_timeout[[:space:]]\{1,\}\([0-9]\{1,\}\)s\{0,1\};.*/\1/p' \
    "$ECS_RUN/nginx/nginx.conf" 2>/dev/null | head -n 1)
body_timeout=${body_timeout:-60}
say "the stack's client_body_timeout: ${body_timeout}s"

marker="stall$$x$RANDOM"
export ECS_ENDPOINT ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET ECS_API_HOST
python3 - "$marker" "$body_timeout" >"$E2E_TMP/stall.out" 2>&1 <<'PY' &
import base64, os, socket, ssl, sys, time, urllib.parse
u = urllib.parse.urlsplit(os.environ["ECS_ENDPOINT"])
ctx = ssl.create_default_context(cafile=os.environ["ECS_CA_CERT"])
ctx.check_hostname = False
ctx.load_cert_chain(os.environ["ECS_CLIENT_CERT"], os.environ["ECS_CLIENT_KEY"])
s = ctx.wrap_socket(socket.create_connection((u.hostname, u.port or 443)),
                    server_hostname=os.environ.get("ECS_API_HOST") or u.hostname)
auth = ""
if os.environ.get("ECS_KEY"):
    auth = "Authorization: Basic %s\r\n" % base64.b64encode(
        ("%s:%s" % (os.environ["ECS_KEY"], os.environ["ECS_SECRET"])).encode()).decode()
host = os.environ.get("ECS_API_HOST") or u.hostname
s.sendall(("POST /v1.1/tasks?%s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
           "Content-Length: 200\r\n\r\n{\"docker_image\": " % (sys.argv[1], host, auth)).encode())
t0 = time.monotonic()
print("sent", flush=True)
s.settimeout(int(sys.argv[2]) + 90)
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
except (socket.timeout, ssl.SSLError, ConnectionError) as e:
    print("error", type(e).__name__)
print("bytes", len(got))
print("seconds", int(time.monotonic() - t0))
PY
client=$!
e2e_on_exit "kill $client 2>/dev/null || true"

# While it stalls, the service answers others.
stall_sent() { grep -qx sent "$E2E_TMP/stall.out"; }
check "the stalling client sent its headers and part of the body" wait_for 20 stall_sent
api /v1.1/_noop
check "another request is answered while a body stalls" expect_status 200

wait "$client"
sed "s/^/$E2E_NAME: client: /" "$E2E_TMP/stall.out"
check "the stalled client got no response at all (connection closed)" grep -qx 'bytes 0' "$E2E_TMP/stall.out"
secs=$(sed -n 's/^seconds //p' "$E2E_TMP/stall.out")
# 55..90 s for nginx's 60 s; 4..35 s for a test stack's 5 s.
slack=$((body_timeout / 12)); [ $slack -ge 1 ] || slack=1
lo=$((body_timeout - slack)) hi=$((body_timeout + 30))
closed_at_timeout() { [ "${secs:-0}" -ge "$lo" ] && [ "${secs:-0}" -le "$hi" ]; }
check "it was closed at client_body_timeout ($lo..$hi s), not at once" closed_at_timeout
logged_408() { grep -F "$marker" "$ACCESS_LOG" | grep -q ' 408 '; }
check "nginx logged 408 for it" wait_for 5 logged_408
check "ecs-fcgi never saw it" bash -c "! grep -qF '$marker' '$FCGI_LOG'"
finish
