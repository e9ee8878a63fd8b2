#!/bin/bash
# What nginx answers by itself: unknown hosts and paths are JSON 404s (the
# original TODO's "branded 404"), plain HTTP on the TLS port is a JSON 400,
# port 80 redirects to HTTPS, the docs host serves the API reference without
# a client certificate, the load-balancer health listener answers without
# credentials and only for the health check, and TLS is HTTPS-only with HSTS.
. "$(dirname "$0")/lib.sh"

# The TODO's case: a host we do not serve, by address, with or without a
# client certificate.
req -H 'Host: docs.example.com' "$ECS_ENDPOINT/random"
check "unknown host: JSON 404" expect_error 404 NOT_FOUND
req --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" -H 'Host: unknown.example.com' \
    "$ECS_ENDPOINT/v1.1/_noop"
check "unknown host with a client certificate: JSON 404" expect_error 404 NOT_FOUND

api /random
check "unknown path on the API host: JSON 404" expect_error 404 NOT_FOUND
api /index.html
check "unknown .html path: still a JSON 404, not text/html" expect_error 404 NOT_FOUND
api /v1.1/no-such-thing
check "unknown /v1.1/ path: JSON 404" expect_error 404 NOT_FOUND

api /v1.1/_noop
check "HSTS on the API host" \
    bash -c '[[ $(grep -i "^strict-transport-security:" "$1") == *max-age=* ]]' _ "$E2E_TMP/headers"

if e2e_loopback; then
    port=${E2E_HOSTPORT##*:}
    req "http://127.0.0.1:$port/v1.1/_noop"
    check "plain HTTP to the TLS port: JSON 400" expect_error 400 BAD_REQUEST
fi

if [ -n "$ECS_API_HOST" ] && e2e_loopback; then
    port=${E2E_HOSTPORT##*:}
    api_url=https://$ECS_API_HOST:$port
    req --resolve "$ECS_API_HOST:$port:127.0.0.1" --cert "$ECS_CLIENT_CERT" \
        --key "$ECS_CLIENT_KEY" ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "$api_url/v1.1/_noop"
    check "API host by name (SNI $ECS_API_HOST)" expect_status 200
    req --resolve "$ECS_API_HOST:$port:127.0.0.1" "$api_url/v1.1/_noop"
    check "API host by name without a certificate: JSON 400" \
        expect_error 400 CLIENT_CERTIFICATE_REQUIRED
fi

if [ -n "$ECS_DOCS_HOST" ] && e2e_loopback; then
    port=${E2E_HOSTPORT##*:}
    docs=https://$ECS_DOCS_HOST:$port
    req --resolve "$ECS_DOCS_HOST:$port:127.0.0.1" "$docs/no-such-page.html"
    check "docs host, unknown page: JSON 404" expect_error 404 NOT_FOUND
    # The page is built (scripts/api-docs.sh), not committed: a stack whose
    # docs root has none answers 404 for it.
    req --resolve "$ECS_DOCS_HOST:$port:127.0.0.1" "$docs/"
    if [ "$STATUS" != 404 ]; then
        check "docs host serves the API reference without a client certificate" \
            expect_status 200
        check "docs are HTML" bash -c '[[ $(grep -i "^content-type:" "$1") == *text/html* ]]' \
            _ "$E2E_TMP/headers"
        check "docs forbid loading from elsewhere (Content-Security-Policy default-src 'none')" \
            grep -q "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'" "$E2E_TMP/body"
    else
        skip "the docs root has no index.html (scripts/api-docs.sh builds it): docs page not fetched"
    fi
else
    skip "no ECS_DOCS_HOST or not loopback: docs host not tried"
fi

if [ -n "$ECS_REDIRECT_URL" ]; then
    req "$ECS_REDIRECT_URL/v1.1/_version?x=1"
    check "port 80 redirects (301)" expect_status 301
    check "the redirect goes to the same path over HTTPS" \
        bash -c '[[ $(grep -i "^location:" "$1" | tr -d "\r") == "Location: https://"*"/v1.1/_version?x=1" ]]' \
        _ "$E2E_TMP/headers"
    check "the redirect body is JSON, not HTML" \
        bash -c 'jq -e ".status == 301" "$1" >/dev/null' _ "$E2E_TMP/body"
else
    skip "no ECS_REDIRECT_URL: redirect not tried"
fi

if [ -n "$ECS_HEALTH_URL" ]; then
    req "$ECS_HEALTH_URL"
    check "health listener answers 200 without credentials" expect_status 200
    req "$ECS_HEALTH_URL?quick=false"
    check "health listener always runs the quick check" expect_status 200
    req -X POST "$ECS_HEALTH_URL"
    check "health listener: POST is a JSON 403" expect_error 403 FORBIDDEN
    req "${ECS_HEALTH_URL%/v1.1/_health}/v1.1/_version"
    check "health listener serves nothing else: JSON 404" expect_error 404 NOT_FOUND
else
    skip "no ECS_HEALTH_URL: health listener not tried"
fi

# TLS: 1.2 and 1.3 only.
if e2e_loopback; then
    check "TLS 1.1 is refused" bash -c '! curl -s -o /dev/null --cacert "$1" --tls-max 1.1 "$2/v1.1/_noop"' \
        _ "$ECS_CA_CERT" "$ECS_ENDPOINT"
    check "TLS 1.3 works" bash -c 'curl -s -o /dev/null --cacert "$1" --tlsv1.3 "$2/v1.1/_noop"' \
        _ "$ECS_CA_CERT" "$ECS_ENDPOINT"
fi

finish
