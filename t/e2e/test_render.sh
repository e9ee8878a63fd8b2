#!/bin/bash
# The nginx template and its render script on their own, with a throw-away
# nginx on a free loopback port and no responder behind it: both modes pass
# `nginx -t`, bad parameters are refused, the modern profile speaks TLS 1.3
# only, every refusal is the JSON document, and a missing responder is a
# JSON 502. Also: the systemd unit passes `systemd-analyze verify`.
# shellcheck disable=SC2034 # read by lib.sh
E2E_NO_DEPLOYMENT=1
. "$(dirname "$0")/lib.sh"

R=$E2E_REPO/nginx-conf/render
certs=$E2E_TMP/certs
"$E2E_REPO/scripts/make-certs.sh" demo "$certs" >/dev/null 2>&1
check "make-certs.sh demo made the CA, server, client, revoked and other-CA files" \
    bash -c 'cd "$1" && ls ca.crt server.crt server.key client.crt revoked.crt crl.pem other-client.crt >/dev/null' _ "$certs"
tls=(SSL_CERT="$certs/server.crt" SSL_KEY="$certs/server.key" CLIENT_CA="$certs/ca.crt" CRL="$certs/crl.pem")

check "site mode renders and passes nginx -t" \
    "$R" --check --out "$E2E_TMP/site.conf" "${tls[@]}" HTPASSWD="$E2E_TMP/htpasswd"
check "no placeholder is left" bash -c '! grep -n "%[A-Z_]*%" "$1"' _ "$E2E_TMP/site.conf"
check "the site is built of ecs parts only (no organisation's name)" \
    bash -c '! grep -in "cloudfeaster" "$1"' _ "$E2E_TMP/site.conf"
check "a value with ; is refused" bash -c '! "$1" "${@:2}" API_DOMAIN="x; evil" >/dev/null 2>&1' _ "$R" "${tls[@]}"
check "an unknown parameter is refused" bash -c '! "$1" "${@:2}" NO_SUCH=1 >/dev/null 2>&1' _ "$R" "${tls[@]}"
check "a missing certificate parameter is refused" bash -c '! "$1" CLIENT_CA=/x >/dev/null 2>&1' _ "$R"
check "an unknown TLS profile is refused" bash -c '! "$1" "${@:2}" TLS_PROFILE=old >/dev/null 2>&1' _ "$R" "${tls[@]}"
check "without CRL= there is no ssl_crl" \
    bash -c '! "$1" SSL_CERT=/a SSL_KEY=/b CLIENT_CA=/c | grep -q ssl_crl' _ "$R"
check "without HTPASSWD= there is no auth_basic" \
    bash -c '! "$1" SSL_CERT=/a SSL_KEY=/b CLIENT_CA=/c | grep -q auth_basic' _ "$R"
# nginx fills $remote_user from any Authorization header, auth_basic or not.
check "without HTPASSWD= REMOTE_USER is never \$remote_user" \
    bash -c '! "$1" SSL_CERT=/a SSL_KEY=/b CLIENT_CA=/c | grep -Eq "ecs_remote_user +.remote_user|REMOTE_USER +.remote_user"' _ "$R"
check "with HTPASSWD= REMOTE_USER is the user auth_basic checked" \
    bash -c '"$1" SSL_CERT=/a SSL_KEY=/b CLIENT_CA=/c HTPASSWD=/h | grep -q "set .ecs_remote_user .remote_user;"' _ "$R"

# A free port on loopback for a throw-away nginx (modern profile).
free_port() {
    local p
    for p in $(shuf -i 20000-29999 -n 20); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}
port=$(free_port)
prefix=$E2E_TMP/nginx
mkdir -p "$prefix/logs" "$prefix/tmp"
check "full mode renders and passes nginx -t (modern profile)" \
    "$R" --mode full --check --out "$prefix/nginx.conf" "${tls[@]}" PREFIX="$prefix" \
    TLS_PROFILE=modern HTTPS_LISTEN="127.0.0.1:$port" REDIRECT_LISTEN= HEALTH_LISTEN= \
    API_SERVER_NAMES="api.ecs.test 127.0.0.1" FCGI_SOCKET="$E2E_TMP/no-such.sock" \
    WORKER_USER="$(id -un)"
nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" 2>"$E2E_TMP/nginx.err"
e2e_on_exit 'kill "$(cat "$prefix/nginx.pid" 2>/dev/null)" 2>/dev/null'
listening() { curl -sk -o /dev/null "https://127.0.0.1:$port/"; }
check "nginx listens on 127.0.0.1:$port" wait_for 10 listening

url=https://127.0.0.1:$port
check "modern: TLS 1.2 is refused" \
    bash -c '! curl -s -o /dev/null --cacert "$1" --tls-max 1.2 "$2/"' _ "$certs/ca.crt" "$url"
# shellcheck disable=SC2034 # read by req in lib.sh
ECS_CA_CERT=$certs/ca.crt
req --tlsv1.3 "$url/v1.1/_noop"
check "modern: TLS 1.3 works; no certificate is a JSON 400" expect_error 400 CLIENT_CERTIFICATE_REQUIRED
req --cert "$certs/revoked.crt" --key "$certs/revoked.key" "$url/v1.1/_noop"
check "revoked certificate: JSON 400" expect_error 400 CLIENT_CERTIFICATE_INVALID
req --cert "$certs/client.crt" --key "$certs/client.key" "$url/v1.1/_noop"
check "no responder behind nginx: JSON 502" expect_error 502 BAD_GATEWAY
req --cert "$certs/client.crt" --key "$certs/client.key" -X DELETE "$url/v1.1/_noop"
check "the request id goes to the client and the access log" \
    grep -q "$(header x-request-id)" "$prefix/logs/access.log"
req -H 'Host: elsewhere.example' "$url/x.css"
check "unknown host, a .css path: JSON 404 (not text/css)" expect_error 404 NOT_FOUND

# Every status nginx itself can produce has its JSON document, and each
# document parses (with a request id in place of $request_id) as the ecs
# error document with the status it is answered with.
errors_conf_ok() {
    python3 - "$E2E_REPO/nginx-conf/ecs-errors.conf" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
pages = dict((int(a), (int(b) if b else int(a), u)) for a, b, u in
             re.findall(r"^error_page (\d{3}) (?:=(\d{3}) )?(/\.ecs-error/\d{3});", text, re.M))
docs = dict((u, (int(c), body)) for u, c, body in
            re.findall(r"location = (/\.ecs-error/\d{3}) \{[^}']*?return (\d{3}) '([^']*)';", text))
bad = 0
for s in (400, 401, 403, 404, 405, 408, 411, 413, 414, 421, 429, 494, 495, 496, 497, 500, 501, 502, 503, 504, 505):
    to, uri = pages.get(s, (None, None))
    code, body = docs.get(uri, (None, ""))
    try:
        doc = json.loads(body.replace("$request_id", "0123").replace("\\n", ""))
        ok = code == to and doc["status"] == to and sorted(doc) == ["code", "message", "requestId", "status"]
    except ValueError:
        ok = False
    if not ok:
        print("  status %d: no JSON document (error_page %s, return %s %r)" % (s, uri, code, body))
        bad = 1
sys.exit(bad)
PY
}
check "every status nginx produces has a JSON error document" errors_conf_ok

# Client mistakes nginx refuses before any location: still the JSON document
# (a named location there was nginx's HTML 500), never a 500.
cert=(--cert "$certs/client.crt" --key "$certs/client.key")
req "${cert[@]}" -X get "$url/v1.1/_noop"
check "a lower-case method: JSON 400" expect_error 400 BAD_REQUEST
req "${cert[@]}" -X OPTIONS --request-target '*' "$url/"
check "OPTIONS *: JSON 400" expect_error 400 BAD_REQUEST
req "${cert[@]}" --path-as-is "$url/../x"
check "/../ above the root: JSON 400" expect_error 400 BAD_REQUEST
req "${cert[@]}" "$url/v1.1/$(head -c 9000 /dev/zero | tr '\0' a)"
check "a 9 KB URI: JSON 414" expect_error 414 URI_TOO_LONG
req "${cert[@]}" -H 'Transfer-Encoding: gzip' -d x "$url/v1.1/tasks"
check "Transfer-Encoding: gzip: JSON 501" expect_error 501 NOT_IMPLEMENTED

if command -v systemd-analyze >/dev/null; then
    check "packaging/ecs-fcgi.service passes systemd-analyze verify" \
        bash -c 'cd "$1" && SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no "$2"' \
        _ "$E2E_TMP" "$E2E_REPO/packaging/ecs-fcgi.service"
else
    skip "no systemd-analyze: unit not verified"
fi

finish
