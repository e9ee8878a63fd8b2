#!/bin/bash
# Limits at the front door: a task body over 1 MiB is a JSON 413 (the limit
# was 5 KiB until task bodies carried files; nginx's TASKS_BODY_MAX), a
# 900 KiB task body is not refused by the size limit, and every other
# request keeps the 5 KiB limit (BODY_MAX); a burst over the request rate
# gets JSON 429s; afterwards the client is served again. The burst is
# bounded (60 requests) and only sent to an endpoint on this machine.
. "$(dirname "$0")/lib.sh"

# big_body FILE PADDING: a task body carrying PADDING bytes of spaces in an unknown member.
big_body() {
    printf '{"docker_image": "%s", "cmd": ["true"], "x": "' "$ECS_TEST_IMAGE" >"$1"
    head -c "$2" /dev/zero | tr '\0' ' ' >>"$1"
    echo '"}' >>"$1"
}
big_body "$E2E_TMP/big.json" $((1024 * 1024 + 1024))
api /v1.1/tasks -H 'Content-Type: application/json' --data-binary "@$E2E_TMP/big.json"
check "1 MiB + 1 KiB task body: JSON 413 PAYLOAD_TOO_LARGE" expect_error 413 PAYLOAD_TOO_LARGE

# 900 KiB of stdin through nginx and ecs-fcgi: it runs, and arrives whole.
head -c 691200 /dev/zero | tr '\0' z >"$E2E_TMP/stdin"
printf '{"docker_image": "%s", "cmd": ["wc", "-c"], "network": "none", "stdin": "%s"}' \
    "$ECS_TEST_IMAGE" "$(base64 -w0 "$E2E_TMP/stdin")" >"$E2E_TMP/900k.json"
api /v1.1/tasks -H 'Content-Type: application/json' --data-binary "@$E2E_TMP/900k.json"
check "900 KiB task body runs (201)" expect_status 201
check "  its 691200 bytes of stdin arrive whole" \
    bash -c '[ "$(jq -r .stdout "$1" | base64 -d | tr -d " \n")" = 691200 ]' _ "$E2E_TMP/body"

# Any other request keeps the 5 KiB limit, answered by nginx before ecs-fcgi.
head -c 6144 /dev/zero | tr '\0' ' ' >"$E2E_TMP/6k"
api /v1.1/_noop -X POST -H 'Content-Type: application/json' --data-binary "@$E2E_TMP/6k"
check "6 KiB body to another path: JSON 413 PAYLOAD_TOO_LARGE" expect_error 413 PAYLOAD_TOO_LARGE

if e2e_loopback; then
    # One curl, 60 requests on one connection as fast as nginx answers:
    # well over 5 r/s with a burst of 10.
    urls=()
    for _ in $(seq 60); do urls+=("$ECS_ENDPOINT/v1.1/_noop"); done
    curl -s --max-time 60 --cacert "$ECS_CA_CERT" --cert "$ECS_CLIENT_CERT" \
        --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} \
        -w '%{http_code}\n' -o /dev/null "${urls[@]}" >"$E2E_TMP/codes" 2>/dev/null || true
    n429=$(grep -c '^429$' "$E2E_TMP/codes")
    n200=$(grep -c '^200$' "$E2E_TMP/codes")
    say "burst of 60: $n200 x 200, $n429 x 429"
    check "a burst over the rate limit gets 429s" bash -c '[ "$1" -gt 0 ]' _ "$n429"
    check "the first requests of the burst are served" bash -c '[ "$1" -gt 0 ]' _ "$n200"

    E2E_NO_RETRY=1 api /v1.1/_noop
    if [ "$STATUS" = 429 ]; then
        check "a limited request is the JSON 429 document" expect_error 429 TOO_MANY_REQUESTS
        check "it carries Retry-After (issue 18)" [ "$(header retry-after)" = 1 ]
        check "it names the limit hit: limit_req" bash -c 'jq -r .message "$1" | grep -q "limit_req"' _ "$BODY"
    else
        skip "the limiter had refilled already: 429 body not inspected"
    fi

    served() { E2E_NO_RETRY=1 api /v1.1/_noop; [ "$STATUS" = 200 ]; }
    check "served again once the rate drops" wait_for 10 served
else
    skip "endpoint not on this machine: no burst sent"
fi

finish
