#!/bin/sh
# stack.sh — start, stop and inspect the whole ecs stack on this machine:
# ecs-fcgi under spawn-fcgi on a unix socket, and nginx in front of it with
# TLS and client certificates. Used by ./bootstrap demo|test|stop, by the
# end-to-end tests, and by hand.
#
# Usage:
#   scripts/stack.sh start       (re)start everything; idempotent: a running
#                                stack is stopped first. Makes the demo CA and
#                                certificates if missing, renders the nginx
#                                config, starts ecs-fcgi and nginx, waits until
#                                an authenticated GET /v1.1/_health?quick=true
#                                answers 200, then writes $ECS_RUN/ecs.env.
#                                Exit 0 when up, non-zero (and nothing left
#                                running) otherwise.
#   scripts/stack.sh stop        stop nginx and ecs-fcgi (only what start
#                                started, by pid file), remove ecs.env. Exit 0
#                                also when nothing was running.
#   scripts/stack.sh status      exit 0 when both run and the API answers.
#   scripts/stack.sh stop-fcgi   stop ecs-fcgi alone (failure tests)
#   scripts/stack.sh start-fcgi  start ecs-fcgi alone and wait for it
#
# Environment (all optional):
#   ECS_ROOT         the repository (default: this script's parent)
#   ECS_RUN          state directory (default $ECS_ROOT/run): certs/, nginx/,
#                    ecs-fcgi.sock, *.pid, *.log, ecs.env
#   ECS_BUILD        build tree (default $ECS_ROOT/build)
#   ECS_FCGI         the responder (default $ECS_BUILD/fcgi-app/ecs-fcgi)
#   ECS_CONFIG       ecs-fcgi's base config (default $ECS_ROOT/packaging/ecs.conf
#                    when present); the stack runs a copy, $ECS_RUN/ecs.conf,
#                    with [ecs] auth set to $ECS_AUTH and, unless the base
#                    sets one, instance_dir = $ECS_RUN/instances (the stack's
#                    instance locks: its sweeps take its own orphans only)
#                    and store_path = $ECS_RUN/ecs.db (its own task store)
#   ECS_AUTH         client-cert+basic (default) | client-cert: BASIC auth on
#                    top of the client certificate, in nginx and in ecs-fcgi;
#                    the key and secret go to ecs.env as ECS_KEY/ECS_SECRET
#   ECS_ALLOWED_REGISTRIES  allowed_registries for the stack's ecs-fcgi when
#                    the base config sets none (default: docker.io and the
#                    test registry, ${ECS_TEST_REGISTRY:-127.0.0.1:5000}; the
#                    packaged config allows Docker Hub only)
#   ECS_FCGI_USER    run ecs-fcgi as this user (with its group and the docker
#                    group); default: the caller
#   ECS_HTTPS_LISTEN    127.0.0.1:8443
#   ECS_REDIRECT_LISTEN 127.0.0.1:8081   (plain HTTP -> HTTPS)
#   ECS_HEALTH_LISTEN   127.0.0.1:8082   (load-balancer probe, no credentials)
#   ECS_TLS_PROFILE  intermediate | modern
#   ECS_DOCS_ROOT    what the docs host serves (default $ECS_BUILD/docs/api,
#                    the page scripts/api-docs.sh builds; $ECS_ROOT/docs/api,
#                    the bare openapi.yaml, when it was not built)
#   ECS_NGINX_<NAME> any nginx-conf/render parameter (see render --help); it
#                    wins over the stack's own choice, except PREFIX and
#                    FCGI_SOCKET (e.g. ECS_NGINX_IP_CONN=50 for a load test)
#   ECS_START_TIMEOUT seconds to wait for readiness (default 30)
#
# ecs.env (shell-sourceable) holds ECS_ENDPOINT, ECS_CA_CERT, ECS_CLIENT_CERT,
# ECS_CLIENT_KEY, ECS_KEY and ECS_SECRET (BASIC on), and, for the tests of
# this stack, ECS_HEALTH_URL, ECS_REDIRECT_URL, ECS_API_HOST, ECS_DOCS_HOST,
# ECS_OTHER_CLIENT_CERT/KEY (another CA), ECS_REVOKED_CLIENT_CERT/KEY.
set -eu

ECS_ROOT=${ECS_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
ECS_RUN=${ECS_RUN:-$ECS_ROOT/run}
ECS_BUILD=${ECS_BUILD:-$ECS_ROOT/build}
# start-fcgi, stop and status act on what start started: its choices are
# kept in $ECS_RUN/stack.state.
STATE=${ECS_RUN:-$ECS_ROOT/run}/stack.state
if [ "${1:-}" != start ] && [ -r "$STATE" ]; then
    for v in ECS_FCGI ECS_AUTH ECS_HTTPS_LISTEN ECS_REDIRECT_LISTEN ECS_HEALTH_LISTEN; do
        eval "[ -n \"\${$v+x}\" ]" ||
            eval "$v=\$(sed -n 's/^$v=//p' \"\$STATE\")"
    done
fi
ECS_FCGI=${ECS_FCGI:-$ECS_BUILD/fcgi-app/ecs-fcgi}
ECS_AUTH=${ECS_AUTH:-client-cert+basic}
HTTPS_LISTEN=${ECS_HTTPS_LISTEN:-127.0.0.1:8443}
REDIRECT_LISTEN=${ECS_REDIRECT_LISTEN-127.0.0.1:8081}
HEALTH_LISTEN=${ECS_HEALTH_LISTEN-127.0.0.1:8082}
START_TIMEOUT=${ECS_START_TIMEOUT:-30}
API_DOMAIN=api.ecs.test
DOCS_DOMAIN=docs.ecs.test

mkdir -p "$ECS_RUN"
ECS_RUN=$(cd "$ECS_RUN" && pwd)
CERTS=$ECS_RUN/certs
PREFIX=$ECS_RUN/nginx
SOCK=$ECS_RUN/ecs-fcgi.sock
FCGI_PID=$ECS_RUN/ecs-fcgi.pid
NGINX_PID=$PREFIX/nginx.pid
ENV_FILE=$ECS_RUN/ecs.env
# What ps calls the responder (the kernel keeps 15 characters of the name).
FCGI_COMM=$(basename "$ECS_FCGI" | cut -c1-15)

log() { echo "stack: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck disable=SC2086 # split the listen list into words
first_addr() { set -- $1; echo "$1"; }
HTTPS_ADDR=$(first_addr "$HTTPS_LISTEN")
case $HTTPS_ADDR in *:*) ;; *) HTTPS_ADDR=127.0.0.1:$HTTPS_ADDR ;; esac
ENDPOINT=https://$HTTPS_ADDR

# alive PIDFILE [NAME]: the process named there is running (and, given NAME,
# is that program: a stale pid file must not make us signal a stranger).
alive() {
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null || return 1
    want=${2:-}
    [ "$want" != ecs-fcgi ] || want=$FCGI_COMM
    [ -z "$want" ] || [ "$(ps -o comm= -p "$(cat "$1")" 2>/dev/null)" = "$want" ]
}

# stop_pid PIDFILE NAME: TERM, wait up to 10 s, then KILL.
stop_pid() {
    alive "$1" "$2" || { rm -f "$1"; return 0; }
    pid=$(cat "$1")
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$2 ($pid) ignored TERM for 10 s: KILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
    log "stopped $2 ($pid)"
}

# The user nginx's workers run as. They read the docs root and the htpasswd
# file at request time and connect to the socket, so that user must be able
# to reach $ECS_RUN; a repository under a private home directory (mode 0700)
# is not reachable by www-data, and then the workers stay root (loopback demo
# only; a production install runs the packaged site under the system nginx).
worker_user() {
    [ "$(id -u)" -eq 0 ] || { id -un; return; }
    if id www-data >/dev/null 2>&1 &&
       runuser -u www-data -- test -x "$ECS_RUN" 2>/dev/null &&
       runuser -u www-data -- test -r "$ECS_ROOT/nginx-conf" 2>/dev/null; then
        echo www-data
    else
        log "www-data cannot reach $ECS_RUN: nginx workers run as root"
        echo root
    fi
}

ensure_certs() {
    "$ECS_ROOT/scripts/make-certs.sh" demo "$CERTS" >/dev/null
}

# BASIC credentials: kept across restarts so a client's ecs.env stays valid.
ensure_basic() {
    [ "$ECS_AUTH" = client-cert+basic ] || { rm -f "$ECS_RUN/htpasswd"; return 0; }
    if [ ! -s "$ECS_RUN/basic.secret" ]; then
        (umask 077 && openssl rand -hex 16 >"$ECS_RUN/basic.secret")
    fi
    secret=$(cat "$ECS_RUN/basic.secret")
    (umask 027 && printf 'ecs-demo:%s\n' "$(openssl passwd -6 "$secret")" >"$ECS_RUN/htpasswd.new")
    mv "$ECS_RUN/htpasswd.new" "$ECS_RUN/htpasswd"
    [ "$1" = root ] || [ "$(id -u)" -ne 0 ] || chgrp "$1" "$ECS_RUN/htpasswd"
}

# The responder's config: a copy of the base config with our auth mode and,
# unless the base names its own, the demo's registries (the test registry
# too: the tests pull from it).
write_fcgi_config() {
    base=${ECS_CONFIG:-$ECS_ROOT/packaging/ecs.conf}
    regs="allowed_registries = ${ECS_ALLOWED_REGISTRIES:-docker.io ${ECS_TEST_REGISTRY:-127.0.0.1:5000}}"
    # the warm pool's ecs-agent: the one this build made (it matches the
    # build's responder; an installed one comes and goes with test_packaging,
    # which may run beside this stack), else the installed one (the default)
    agent=
    [ ! -x "$ECS_BUILD/agent/ecs-agent" ] ||
        agent="pool_agent = $(cd "$ECS_BUILD/agent" && pwd)/ecs-agent"
    # The stack's instance lock in its own run dir, unless the base config
    # names one: in the host's default (/run/ecs/instances) every other
    # responder on the machine, another tree's stack or test included, would
    # sweep this stack's containers the moment it is killed, and this one
    # theirs (stacks side by side must not touch each other's containers).
    locks="instance_dir = $ECS_RUN/instances"
    # The stack's task store in its own run dir too (each stack its own
    # queue), unless the base config names one.
    store="store_path = $ECS_RUN/ecs.db"
    if [ -f "$base" ]; then
        ! grep -q '^[[:space:]]*allowed_registries[[:space:]]*=' "$base" || regs=
        ! grep -q '^[[:space:]]*pool_agent[[:space:]]*=' "$base" || agent=
        ! grep -q '^[[:space:]]*instance_dir[[:space:]]*=' "$base" || locks=
        ! grep -q '^[[:space:]]*store_path[[:space:]]*=' "$base" || store=
        awk -v auth="$ECS_AUTH" -v regs="$regs" -v agent="$agent" -v locks="$locks" -v store="$store" '
            function ours() { print "auth = " auth; if (regs != "") print regs; if (agent != "") print agent
                              if (locks != "") print locks; if (store != "") print store; done = 1 }
            /^[ \t]*\[/ { if (in_ecs && !done) ours()
                          in_ecs = ($0 ~ /^[ \t]*\[ecs\][ \t]*$/) }
            in_ecs && /^[ \t]*auth[ \t]*=/ { if (!done) ours(); next }
            { print }
            END { if (!done) { if (!in_ecs) print "[ecs]"; ours() } }
        ' "$base" >"$ECS_RUN/ecs.conf"
    else
        printf '[ecs]\nauth = %s\n%s\n%s\n%s\n%s\n' "$ECS_AUTH" "$regs" "$agent" "$locks" "$store" >"$ECS_RUN/ecs.conf"
    fi
}

render_nginx() {
    wu=$1
    mkdir -p "$PREFIX/logs" "$PREFIX/tmp"
    [ "$wu" = root ] || [ "$(id -u)" -ne 0 ] || chown "$wu" "$PREFIX/tmp"
    [ -s "$ECS_RUN/dhparam.pem" ] ||
        openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 \
            -out "$ECS_RUN/dhparam.pem" 2>/dev/null || true
    docs=$ECS_ROOT/docs/api
    [ ! -f "$ECS_BUILD/docs/api/index.html" ] || docs=$ECS_BUILD/docs/api
    docs=${ECS_DOCS_ROOT:-$docs}
    [ -d "$docs" ] || { mkdir -p "$ECS_RUN/docs"; docs=$ECS_RUN/docs; }
    # The stack's own layout always; everything else only where the caller
    # set no ECS_NGINX_<NAME> of their own (render reads those itself).
    set -- --mode full --out "$PREFIX/nginx.conf" PREFIX="$PREFIX" FCGI_SOCKET="$SOCK"
    param() { eval "[ -n \"\${ECS_NGINX_$1+x}\" ]" || params="$params $1"; }
    params=
    for n in SSL_CERT SSL_KEY CLIENT_CA CRL API_DOMAIN DOCS_DOMAIN API_SERVER_NAMES \
             DOCS_ROOT HTTPS_LISTEN REDIRECT_LISTEN HEALTH_LISTEN HEALTH_ACCESS_LOG \
             TLS_PROFILE DHPARAM HTPASSWD WORKER_USER; do
        param $n
    done
    for n in $params; do
        case $n in
        SSL_CERT) set -- "$@" SSL_CERT="$CERTS/server.crt" ;;
        SSL_KEY) set -- "$@" SSL_KEY="$CERTS/server.key" ;;
        CLIENT_CA) set -- "$@" CLIENT_CA="$CERTS/ca.crt" ;;
        CRL) set -- "$@" CRL="$CERTS/crl.pem" ;;
        API_DOMAIN) set -- "$@" API_DOMAIN="$API_DOMAIN" ;;
        DOCS_DOMAIN) set -- "$@" DOCS_DOMAIN="$DOCS_DOMAIN" ;;
        API_SERVER_NAMES) set -- "$@" API_SERVER_NAMES="$API_DOMAIN localhost 127.0.0.1" ;;
        DOCS_ROOT) set -- "$@" DOCS_ROOT="$docs" ;;
        HTTPS_LISTEN) set -- "$@" HTTPS_LISTEN="$HTTPS_LISTEN" ;;
        REDIRECT_LISTEN) set -- "$@" REDIRECT_LISTEN="$REDIRECT_LISTEN" ;;
        HEALTH_LISTEN) set -- "$@" HEALTH_LISTEN="$HEALTH_LISTEN" ;;
        HEALTH_ACCESS_LOG) set -- "$@" HEALTH_ACCESS_LOG="$PREFIX/logs/health.log" ;;
        TLS_PROFILE) set -- "$@" TLS_PROFILE="${ECS_TLS_PROFILE:-intermediate}" ;;
        DHPARAM) [ ! -s "$ECS_RUN/dhparam.pem" ] || set -- "$@" DHPARAM="$ECS_RUN/dhparam.pem" ;;
        HTPASSWD) [ ! -s "$ECS_RUN/htpasswd" ] || set -- "$@" HTPASSWD="$ECS_RUN/htpasswd" ;;
        WORKER_USER) [ "$(id -u)" -ne 0 ] || set -- "$@" WORKER_USER="$wu" ;;
        esac
    done
    "$ECS_ROOT/nginx-conf/render" "$@" >/dev/null
}

start_fcgi() {
    [ -x "$ECS_FCGI" ] || die "no responder at $ECS_FCGI (build first, or set ECS_FCGI)"
    stop_pid "$FCGI_PID" ecs-fcgi
    rm -f "$SOCK"
    wuser=$1
    set -- -s "$SOCK" -M 0660
    if [ "$(id -u)" -eq 0 ]; then
        # (spawn-fcgi refuses group 0: root workers need no group anyway)
        [ "$wuser" = root ] || set -- "$@" -G "$(id -gn "$wuser")"
        if [ -n "${ECS_FCGI_USER:-}" ]; then
            set -- "$@" -u "$ECS_FCGI_USER" -g "$(id -gn "$ECS_FCGI_USER")"
            # (it makes its instance lock there: write_fcgi_config)
            mkdir -p "$ECS_RUN/instances" && chown "$ECS_FCGI_USER" "$ECS_RUN/instances"
        fi
    fi
    # -n, as the systemd unit runs it: in fork mode spawn-fcgi points the
    # child's stdout and stderr at /dev/null, and ecs-fcgi logs to stderr.
    # With -n it binds the socket and execs ecs-fcgi, so $! is the responder.
    # Its own session keeps a Ctrl-C of the caller from reaching it; fd 9
    # (the bootstrap's lock) must not stay open in a daemon.
    # GNUTLS_NO_IMPLICIT_INIT as the systemd unit sets it (0.7 MB: see there).
    GNUTLS_NO_IMPLICIT_INIT=1 setsid spawn-fcgi -n "$@" -- "$ECS_FCGI" --config "$ECS_RUN/ecs.conf" \
        </dev/null >>"$ECS_RUN/ecs-fcgi.log" 2>&1 9>&- &
    echo $! >"$FCGI_PID"
    i=0
    until [ -S "$SOCK" ] && [ "$(ps -o comm= -p "$(cat "$FCGI_PID")" 2>/dev/null)" = "$FCGI_COMM" ]; do
        kill -0 "$(cat "$FCGI_PID")" 2>/dev/null ||
            die "spawn-fcgi failed; see $ECS_RUN/ecs-fcgi.log"
        i=$((i + 1))
        [ $i -le 100 ] || die "ecs-fcgi did not come up within 10 s; see $ECS_RUN/ecs-fcgi.log"
        sleep 0.1
    done
    log "ecs-fcgi started ($(cat "$FCGI_PID")) on $SOCK"
}

start_nginx() {
    stop_pid "$NGINX_PID" nginx
    nginx -t -q -p "$PREFIX" -c "$PREFIX/nginx.conf" -e stderr ||
        die "nginx rejected $PREFIX/nginx.conf"
    nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" \
        </dev/null || die "nginx did not start; see $PREFIX/logs/error.log"
    log "nginx started ($(cat "$NGINX_PID")) on $ENDPOINT"
}

# api_ok: an authenticated quick health check through nginx answers 200.
api_ok() {
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        --cacert "$CERTS/ca.crt" --cert "$CERTS/client.crt" --key "$CERTS/client.key" \
        ${secret:+--user "ecs-demo:$secret"} \
        "$ENDPOINT/v1.1/_health?quick=true" 2>/dev/null) || true
    [ "$code" = 200 ]
}

wait_ready() {
    secret=
    [ ! -s "$ECS_RUN/basic.secret" ] || [ "$ECS_AUTH" != client-cert+basic ] ||
        secret=$(cat "$ECS_RUN/basic.secret")
    i=0
    while ! api_ok; do
        i=$((i + 1))
        if [ $i -gt $((START_TIMEOUT * 5)) ]; then
            log "no 200 from $ENDPOINT/v1.1/_health?quick=true after ${START_TIMEOUT}s"
            tail -n 20 "$ECS_RUN/ecs-fcgi.log" "$PREFIX/logs/error.log" >&2 2>/dev/null || true
            return 1
        fi
        alive "$FCGI_PID" ecs-fcgi || { log "ecs-fcgi exited"; tail -n 20 "$ECS_RUN/ecs-fcgi.log" >&2; return 1; }
        sleep 0.2
    done
}

write_env() {
    h=${HEALTH_LISTEN%% *} r=${REDIRECT_LISTEN%% *}
    {
        echo "# Written by scripts/stack.sh start; removed by stop."
        echo "ECS_ENDPOINT='$ENDPOINT'"
        echo "ECS_CA_CERT='$CERTS/ca.crt'"
        echo "ECS_CLIENT_CERT='$CERTS/client.crt'"
        echo "ECS_CLIENT_KEY='$CERTS/client.key'"
        if [ "$ECS_AUTH" = client-cert+basic ]; then
            echo "ECS_KEY='ecs-demo'"
            echo "ECS_SECRET='$(cat "$ECS_RUN/basic.secret")'"
        fi
        echo "# Only for the tests of this stack (another deployment has none):"
        echo "ECS_API_HOST='$API_DOMAIN'"
        echo "ECS_DOCS_HOST='$DOCS_DOMAIN'"
        [ -z "$h" ] || echo "ECS_HEALTH_URL='http://$h/v1.1/_health'"
        [ -z "$r" ] || echo "ECS_REDIRECT_URL='http://$r'"
        echo "ECS_OTHER_CLIENT_CERT='$CERTS/other-client.crt'"
        echo "ECS_OTHER_CLIENT_KEY='$CERTS/other-client.key'"
        echo "ECS_REVOKED_CLIENT_CERT='$CERTS/revoked.crt'"
        echo "ECS_REVOKED_CLIENT_KEY='$CERTS/revoked.key'"
        echo "ECS_STACK='$ECS_ROOT/scripts/stack.sh'"
    } >"$ENV_FILE.new"
    mv "$ENV_FILE.new" "$ENV_FILE"
}

cmd_start() {
    command -v nginx >/dev/null || die "nginx is not installed"
    command -v spawn-fcgi >/dev/null || die "spawn-fcgi is not installed"
    [ -x "$ECS_FCGI" ] || die "no responder at $ECS_FCGI (build first, or set ECS_FCGI)"
    cmd_stop
    printf 'ECS_FCGI=%s\nECS_AUTH=%s\nECS_HTTPS_LISTEN=%s\nECS_REDIRECT_LISTEN=%s\nECS_HEALTH_LISTEN=%s\n' \
        "$ECS_FCGI" "$ECS_AUTH" "$HTTPS_LISTEN" "$REDIRECT_LISTEN" "$HEALTH_LISTEN" >"$STATE"
    wuser=$(worker_user)
    ensure_certs
    ensure_basic "$wuser"
    write_fcgi_config
    render_nginx "$wuser"
    start_fcgi "$wuser"
    if ! start_nginx || ! wait_ready; then
        cmd_stop
        die "the stack did not come up"
    fi
    write_env
    log "up: $ENDPOINT (environment in $ENV_FILE)"
}

cmd_stop() {
    rm -f "$ENV_FILE"
    stop_pid "$NGINX_PID" nginx
    stop_pid "$FCGI_PID" ecs-fcgi
    rm -f "$SOCK"
}

cmd_status() {
    rc=0
    if alive "$FCGI_PID" ecs-fcgi; then echo "ecs-fcgi: running ($(cat "$FCGI_PID"))"; else echo "ecs-fcgi: stopped"; rc=1; fi
    if alive "$NGINX_PID" nginx; then echo "nginx: running ($(cat "$NGINX_PID"))"; else echo "nginx: stopped"; rc=1; fi
    if [ $rc -eq 0 ]; then
        secret=
        [ ! -s "$ECS_RUN/basic.secret" ] || [ "$ECS_AUTH" != client-cert+basic ] ||
            secret=$(cat "$ECS_RUN/basic.secret")
        if api_ok; then echo "api: $ENDPOINT answers"; else echo "api: $ENDPOINT does not answer"; rc=1; fi
    fi
    return $rc
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
stop-fcgi) stop_pid "$FCGI_PID" ecs-fcgi ;;
start-fcgi)
    wuser=$(worker_user)
    start_fcgi "$wuser"
    wait_ready || die "ecs-fcgi did not come back" ;;
*) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
