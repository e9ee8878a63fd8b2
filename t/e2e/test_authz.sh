#!/bin/bash
# Authorization through nginx that cannot be forged or widened (issue 8):
#  - the demo stack refuses a task whose image names a registry outside
#    allowed_registries, and the engine never connects there (a listener on
#    one of our ports sees nothing);
#  - a cached private image needs credentials its registry accepts;
#  - on a stack of our own with auth = client-cert: a [client:USER]
#    section is refused at start (REMOTE_USER would be a forgery), a forged
#    "Authorization: Basic alice:x" reaches no one's section, and nginx
#    passes no REMOTE_USER at all without auth_basic (defence in depth: an
#    ecs-fcgi that wrongly expects BASIC still sees no user).
# Ports: ECS_AUTHZ_PORTS (four consecutive; default 8522: listener, HTTPS,
# redirect, health).
. "$(dirname "$0")/lib.sh"

base=${ECS_AUTHZ_PORTS:-8522}
listen_port=$base https_port=$((base + 1)) redirect_port=$((base + 2)) health_port=$((base + 3))
task() { # task IMAGE [curl args...]: POST a task running `echo authz`
    img=$1; shift
    api /v1.1/tasks -H 'Content-Type: application/json' "$@" \
        --data "$(jq -cn --arg i "$img" '{docker_image: $i, cmd: ["echo", "authz"], network: "none"}')"
}

# ---- the demo stack: registries ----------------------------------------------
python3 "$E2E_REPO/t/lib/tcp_listener.py" "$listen_port" "$E2E_TMP/conns" 2>"$E2E_TMP/listener.log" &
listener=$!
e2e_on_exit "kill $listener 2>/dev/null"
wait_for 10 test -f "$E2E_TMP/conns.ready" || { say "listener did not start: $(cat "$E2E_TMP/listener.log")"; exit 1; }

task "127.0.0.1:$listen_port/x/y:1"
check "an image from a registry not allowed: 403 REGISTRY_NOT_ALLOWED" expect_error 403 REGISTRY_NOT_ALLOWED
task "python:5000/evil/x:1"
check "python:5000/evil/x:1 names a registry too: 403 REGISTRY_NOT_ALLOWED" expect_error 403 REGISTRY_NOT_ALLOWED
check "the engine never connected to 127.0.0.1:$listen_port" test ! -s "$E2E_TMP/conns"

# ---- the demo stack: a cached private image ------------------------------------
if [ -n "${ECS_TEST_PRIVATE_IMAGE:-}" ] && e2e_has_engine; then
    was_present=0
    docker image inspect "$ECS_TEST_PRIVATE_IMAGE" >/dev/null 2>&1 && was_present=1
    [ $was_present = 1 ] || e2e_on_exit 'docker rmi "$ECS_TEST_PRIVATE_IMAGE" >/dev/null 2>&1'
    # ecs containers of that image but idle warm ones (a pool's, meant to
    # stay), less those there before ours (another stack's are no concern of ours)
    others=
    private_left() {
        ecs_leftovers docker -- "ancestor=$ECS_TEST_PRIVATE_IMAGE" | sort | comm -13 <(printf '%s\n' "$others") -
    }
    others=$(private_left)
    creds() { jq -cn --arg i "$ECS_TEST_PRIVATE_IMAGE" --arg u "$ECS_TEST_REGISTRY_USER" --arg p "$1" \
        '{docker_image: $i, cmd: ["echo", "authz"], network: "none", creds: {username: $u, password: $p, email: "ci@example.com"}}'; }
    api /v1.1/tasks -H 'Content-Type: application/json' --data "$(creds "$ECS_TEST_REGISTRY_PASSWORD")"
    check "private image with good credentials: 201" expect_status 201
    api /v1.1/tasks -H 'Content-Type: application/json' --data "$(creds wrong-password-4711)"
    check "the cached private image with wrong credentials: 401 REGISTRY_UNAUTHORIZED" \
        expect_error 401 REGISTRY_UNAUTHORIZED
    task "$ECS_TEST_PRIVATE_IMAGE"
    check "the cached private image without credentials: 401 REGISTRY_UNAUTHORIZED" \
        expect_error 401 REGISTRY_UNAUTHORIZED
    # The reaper deletes the task containers after answering: wait for ours
    # (not for a warm pool's, nor for whatever else of that image the shared
    # engine holds) before rmi.
    no_private_left() { [ -z "$(private_left)" ]; }
    wait_for 20 no_private_left || true
else
    skip "no ECS_TEST_PRIVATE_IMAGE or no local engine: the cached private image is not tried"
fi

# ---- a stack of our own, auth = client-cert ------------------------------------
if ! e2e_loopback || [ -z "$ECS_STACK" ]; then
    skip "not the demo stack on this machine: the client-cert stack is not started"
    finish
fi
own=$E2E_TMP/stack
mkdir -p "$own"
own_stack() { # own_stack ARGS...: scripts/stack.sh on our run directory and ports
    ECS_RUN=$own ECS_AUTH=client-cert ECS_CONFIG=$own/base.conf ECS_HTTPS_LISTEN=127.0.0.1:$https_port \
        ECS_REDIRECT_LISTEN=127.0.0.1:$redirect_port ECS_HEALTH_LISTEN=127.0.0.1:$health_port \
        ECS_START_TIMEOUT=${START_TIMEOUT:-30} "$ECS_STACK" "$@"
}
e2e_on_exit 'own_stack stop >/dev/null 2>&1'
own_req() { # own_req [curl args...] PATH
    p=${*: -1}
    req --cert "$own/certs/client.crt" --key "$own/certs/client.key" --cacert "$own/certs/ca.crt" \
        "${@:1:$#-1}" "https://127.0.0.1:$https_port$p"
}

printf '[ecs]\nallowed_registries = docker.io\n\n[client "CN=someone-else"]\nimages = other/tool:1\n\n[client:alice]\nimages = %s\n' \
    "$ECS_TEST_IMAGE" >"$own/base.conf"
if own_stack start >"$own/start.log" 2>&1; then
    own_req -u alice:x -H 'Content-Type: application/json' \
        --data "{\"docker_image\": \"$ECS_TEST_IMAGE\", \"cmd\": [\"true\"], \"network\": \"none\"}" /v1.1/tasks
    not_ok "auth = client-cert with a [client:alice] section started; a forged alice:x got HTTP $STATUS"
    own_stack stop >/dev/null 2>&1
else
    check "auth = client-cert with [client:alice]: ecs-fcgi refuses to start, naming the line" \
        grep -q "ecs.conf:[0-9]*: client 'alice' is a \[client:USER\] section, but auth has no basic" "$own/ecs-fcgi.log"
fi

printf '[ecs]\nallowed_registries = docker.io\n\n[client "CN=someone-else"]\nimages = %s\n' \
    "$ECS_TEST_IMAGE" >"$own/base.conf"
if own_stack start >"$own/start.log" 2>&1; then
    own_req -u alice:x -H 'Content-Type: application/json' \
        --data "{\"docker_image\": \"$ECS_TEST_IMAGE\", \"cmd\": [\"true\"], \"network\": \"none\"}" /v1.1/tasks
    check "a forged Authorization: Basic gets no one's images: 403 FORBIDDEN" expect_error 403 FORBIDDEN
    # An ecs-fcgi that (wrongly) expects BASIC behind this nginx: the user
    # must not arrive, so every request is refused.
    own_stack stop-fcgi >/dev/null 2>&1
    sed -i 's/^auth = .*/auth = basic/' "$own/ecs.conf"
    # Its readiness check (an authenticated quick health check) cannot pass
    # now: a 1 s bound, not own_stack's 30 s (START_TIMEOUT is what it reads).
    START_TIMEOUT=1 own_stack start-fcgi >/dev/null 2>&1 || true
    own_req -u alice:x /v1.1/_noop
    check "nginx without auth_basic passes no REMOTE_USER: 401 from an ecs-fcgi expecting BASIC" \
        expect_error 401 UNAUTHENTICATED
    own_stack stop >/dev/null 2>&1
else
    not_ok "the client-cert stack did not start: $(tail -n 5 "$own/start.log")"
fi
finish
