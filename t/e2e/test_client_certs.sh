#!/bin/bash
# Client authentication at the front door: no certificate, a certificate from
# another CA and a revoked one are each refused with a JSON 400; with BASIC
# auth on, a wrong or missing secret is a JSON 401. A good certificate (and
# secret) gets through.
. "$(dirname "$0")/lib.sh"

api /v1.1/_noop
check "client certificate (and secret) accepted" expect_status 200

req "$ECS_ENDPOINT/v1.1/_noop"
check "no client certificate: JSON 400 CLIENT_CERTIFICATE_REQUIRED" \
    expect_error 400 CLIENT_CERTIFICATE_REQUIRED

req "$ECS_ENDPOINT/v1.1/tasks" -H 'Content-Type: application/json' \
    --data '{"docker_image": "'"$ECS_TEST_IMAGE"'", "cmd": ["true"]}'
check "no client certificate on POST /tasks: JSON 400" \
    expect_error 400 CLIENT_CERTIFICATE_REQUIRED

if [ -n "$ECS_OTHER_CLIENT_CERT" ]; then
    req --cert "$ECS_OTHER_CLIENT_CERT" --key "$ECS_OTHER_CLIENT_KEY" \
        ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "$ECS_ENDPOINT/v1.1/_noop"
    check "certificate from another CA: JSON 400 CLIENT_CERTIFICATE_INVALID" \
        expect_error 400 CLIENT_CERTIFICATE_INVALID
else
    skip "no ECS_OTHER_CLIENT_CERT: another CA's certificate not tried"
fi

if [ -n "$ECS_REVOKED_CLIENT_CERT" ]; then
    req --cert "$ECS_REVOKED_CLIENT_CERT" --key "$ECS_REVOKED_CLIENT_KEY" \
        ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "$ECS_ENDPOINT/v1.1/_noop"
    check "revoked certificate: JSON 400 CLIENT_CERTIFICATE_INVALID" \
        expect_error 400 CLIENT_CERTIFICATE_INVALID
else
    skip "no ECS_REVOKED_CLIENT_CERT: revocation not tried"
fi

if [ -n "$ECS_KEY" ]; then
    req --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
        --user "$ECS_KEY:not-the-secret" "$ECS_ENDPOINT/v1.1/_noop"
    check "wrong secret: JSON 401 UNAUTHENTICATED" expect_error 401 UNAUTHENTICATED
    check "401 names the BASIC realm" \
        bash -c '[[ $(grep -i "^www-authenticate:" "$1") == *Basic* ]]' _ "$E2E_TMP/headers"

    req --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
        --user "someone-else:$ECS_SECRET" "$ECS_ENDPOINT/v1.1/_noop"
    check "unknown key: JSON 401 UNAUTHENTICATED" expect_error 401 UNAUTHENTICATED

    req --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" "$ECS_ENDPOINT/v1.1/_noop"
    check "certificate without the secret: JSON 401 UNAUTHENTICATED" \
        expect_error 401 UNAUTHENTICATED
else
    skip "BASIC auth is off (no ECS_KEY): wrong-secret checks not run"
fi

finish
