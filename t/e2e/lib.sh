# shellcheck shell=bash
# t/e2e/lib.sh — sourced by every t/e2e/test_*.sh (not a test itself).
#
# The end-to-end tests talk to a running ecs deployment through nginx with
# real TLS. They read where it is and how to authenticate from the
# environment, falling back to the file the demo stack writes:
#   ECS_ENDPOINT, ECS_CA_CERT, ECS_CLIENT_CERT, ECS_CLIENT_KEY,
#   ECS_KEY/ECS_SECRET (when BASIC auth is on)
# from $ECS_ENV_FILE, else ${ECS_RUN:-<repo>/run}/ecs.env. Checks that need
# more than a client has (another CA's certificate, a revoked one, the
# health and redirect listeners, restarting ecs-fcgi) use the extra
# variables scripts/stack.sh writes and are skipped where they are absent.
#
# Each test works in its own temporary directory, cleans up with a trap,
# polls instead of sleeping, and ends with "N passed, N failed".

set -u

E2E_REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/leftovers.sh
. "$E2E_REPO/scripts/leftovers.sh"
# say, ok, not_ok, skip, check, wait_for, jbody (t/lib/test.sh)
TEST_T=$E2E_REPO/t
# shellcheck source=t/lib/test.sh
. "$TEST_T/lib/test.sh"
E2E_NAME=$TEST_NAME

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecs-e2e.XXXXXX")
BODY=$E2E_TMP/body  # the last response's body (req), for jbody
E2E_CLEANUPS=
e2e_on_exit() { E2E_CLEANUPS="$1${E2E_CLEANUPS:+; $E2E_CLEANUPS}"; }
# own_stack ARGS...: scripts/stack.sh ($ECS_STACK) on a stack of the test's
# own: run dir $own, config $own/base.conf, ports $https_port, $redirect_port
# and $health_port (the caller sets them all).
# shellcheck disable=SC2154 # own and the ports are the calling test's
own_stack() {
    ECS_RUN=$own ECS_CONFIG=$own/base.conf ECS_HTTPS_LISTEN=127.0.0.1:$https_port \
        ECS_REDIRECT_LISTEN=127.0.0.1:$redirect_port ECS_HEALTH_LISTEN=127.0.0.1:$health_port \
        ECS_START_TIMEOUT=${START_TIMEOUT:-60} "$ECS_STACK" "$@"
}
e2e_exit() {
    rc=$?
    eval "$E2E_CLEANUPS" || true
    rm -rf "$E2E_TMP"
    exit $rc
}
trap e2e_exit EXIT
trap 'exit 130' INT TERM

finish() {
    echo "$E2E_NAME: $TEST_PASSED passed, $TEST_FAILED failed, $TEST_SKIPPED skipped"
    echo "$TEST_PASSED passed, $TEST_FAILED failed, $TEST_SKIPPED skipped"
    [ "$TEST_FAILED" -eq 0 ]
    exit $?
}

# ---- the deployment ---------------------------------------------------------
# (A test that brings its own server sets E2E_NO_DEPLOYMENT=1 first.)
if [ -z "${E2E_NO_DEPLOYMENT:-}" ]; then
    if [ -z "${ECS_ENDPOINT:-}" ]; then
        envfile=${ECS_ENV_FILE:-${ECS_RUN:-$E2E_REPO/run}/ecs.env}
        if [ ! -r "$envfile" ]; then
            say "no ECS_ENDPOINT and no $envfile: start the stack (scripts/stack.sh start) first"
            exit 1
        fi
        # shellcheck source=/dev/null
        . "$envfile"
    fi
    for v in ECS_ENDPOINT ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY; do
        eval "[ -n \"\${$v:-}\" ]" || { say "$v is not set"; exit 1; }
    done
    ECS_KEY=${ECS_KEY:-} ECS_SECRET=${ECS_SECRET:-}
    for v in ECS_API_HOST ECS_DOCS_HOST ECS_HEALTH_URL ECS_REDIRECT_URL \
             ECS_OTHER_CLIENT_CERT ECS_OTHER_CLIENT_KEY ECS_REVOKED_CLIENT_CERT \
             ECS_REVOKED_CLIENT_KEY ECS_STACK ECS_TEST_IMAGE; do
        eval "$v=\${$v:-}"
    done
    ECS_TEST_IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
    E2E_HOSTPORT=${ECS_ENDPOINT#https://}
    E2E_HOSTPORT=${E2E_HOSTPORT%%/*}
fi

# e2e_loopback: the endpoint is on this machine (load and restart tests run
# only then: they never send traffic anywhere else).
e2e_loopback() {
    case $E2E_HOSTPORT in
    127.*|localhost|localhost:*|\[::1\]*) return 0 ;;
    *) return 1 ;;
    esac
}

# ---- requests ---------------------------------------------------------------
# req [curl args...] URL: one request; the status is in $STATUS, the body in
# $E2E_TMP/body, the headers in $E2E_TMP/headers. No client certificate and
# no BASIC credentials unless the arguments add them. A 429 (we share the
# rate limit with every other test) is retried, bounded: not at all with
# E2E_NO_RETRY (a test of the limiter itself), and only the front door's
# (code TOO_MANY_REQUESTS) with E2E_RETRY_LIMITER, so that ecs's own 429s
# (TOO_MANY_QUEUED, TOO_MANY_TASKS) come through.
retry_429() {
    [ "$STATUS" = 429 ] && [ "$tries" -lt 40 ] && [ -z "${E2E_NO_RETRY:-}" ] || return 1
    [ -z "${E2E_RETRY_LIMITER:-}" ] || grep -q '"code": *"TOO_MANY_REQUESTS"' "$E2E_TMP/body"
}
req() {
    tries=0
    while :; do
        STATUS=$(curl -sS -o "$E2E_TMP/body" -D "$E2E_TMP/headers" -w '%{http_code}' \
            --max-time "${E2E_MAX_TIME:-120}" --cacert "$ECS_CA_CERT" "$@" 2>"$E2E_TMP/curl.err") \
            || STATUS=000
        retry_429 || break
        tries=$((tries + 1))
        sleep 0.25  # back off: the limiter refills at its rate
    done
    e2e_strict_error_body
}
# Every error body any test receives must be strict UTF-8 JSON
# (t/lib/strict_json.py): a failure of its own, whatever the test checks next.
e2e_strict_error_body() {
    case $STATUS in
    [45][0-9][0-9]) ;;
    *) return 0 ;;
    esac
    [ -s "$E2E_TMP/body" ] || return 0
    strict_json_body "$E2E_TMP/body" 2>"$E2E_TMP/strict.err" ||
        not_ok "the $STATUS body is not strict UTF-8 JSON: $(cat "$E2E_TMP/strict.err")"
}
# api PATH [curl args...]: as req, with the client certificate and (when
# set) BASIC credentials, against $ECS_ENDPOINT.
api() {
    p=$1; shift
    req --cert "$ECS_CLIENT_CERT" --key "$ECS_CLIENT_KEY" \
        ${ECS_KEY:+--user "$ECS_KEY:$ECS_SECRET"} "$@" "$ECS_ENDPOINT$p"
}
body() { cat "$E2E_TMP/body"; }
header() { # header NAME: its value in the last response (first match)
    tr -d '\r' <"$E2E_TMP/headers" | awk -v n="$(echo "$1" | tr '[:upper:]' '[:lower:]')" '
        { split($0, kv, ":"); if (tolower(kv[1]) == n) { sub(/^[^:]*:[ \t]*/, ""); print; exit } }'
}

# expect_status CODE: the last response had it (prints what it had if not).
expect_status() {
    [ "$STATUS" = "$1" ] && return 0
    say "  expected HTTP $1, got $STATUS: $(head -c 300 "$E2E_TMP/body" 2>/dev/null) $(cat "$E2E_TMP/curl.err" 2>/dev/null)"
    return 1
}
# expect_error STATUS CODE: the last response is the ecs JSON error document
# with that status and code, Content-Type application/json, and a requestId
# equal to the X-Request-Id header when nginx sent one.
expect_error() {
    expect_status "$1" || return 1
    case $(header content-type) in
    application/json*) ;;
    *) say "  Content-Type is '$(header content-type)', not JSON"; return 1 ;;
    esac
    jq -e --argjson s "$1" --arg c "$2" \
        '(.status == $s) and (.code == $c) and (.message | type == "string")
         and (.requestId | type == "string" and length > 0)' \
        "$E2E_TMP/body" >/dev/null 2>&1 || {
        say "  not the ecs error document for $1 $2: $(head -c 300 "$E2E_TMP/body")"
        return 1
    }
    rid=$(header x-request-id)
    if [ -n "$rid" ] && [ "$rid" != "$(jbody .requestId)" ]; then
        say "  requestId $(jbody .requestId) differs from X-Request-Id $rid"
        return 1
    fi
}

# expect_error_status STATUS: an ecs JSON error document with that status
# and any code (ecs-fcgi's own codes are finer than nginx's).
expect_error_status() {
    expect_status "$1" || return 1
    code=$(jbody .code)
    case $code in
    ''|null|*[!A-Z_]*) say "  no SCREAMING_SNAKE code in: $(head -c 300 "$E2E_TMP/body")"; return 1 ;;
    esac
    expect_error "$1" "$code"
}

# task_gone TASK_ID: no container of that task is left on this machine's
# engine (deletion is deferred: poll for it with wait_for). Other work may
# share the engine, so only the task's own containers are looked at.
task_gone() {
    [ -z "$(docker ps -aq --filter "label=ecs.task-id=$1" 2>/dev/null)" ]
}
# task_containers MARKER: ids of the running ecs containers with a process
# whose command line has MARKER (scripts/leftovers.sh).
task_containers() { ecs_marker_containers docker -- "$1"; }
# e2e_has_engine: this machine's Docker engine answers (we can look for
# leftovers only then).
e2e_has_engine() { e2e_loopback && docker info >/dev/null 2>&1; }
