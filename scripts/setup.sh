# shellcheck shell=bash
# scripts/setup.sh: what ./bootstrap brings up before it builds, demos or
# tests, one function per thing (sourced by ./bootstrap; starts nothing by
# itself): Debian packages, the build trees, the Docker engine, the local
# test image, the private test registry and run/test.env, the stack.
# Each function is idempotent; a test phase asks only for what it needs
# (scripts/phases/NAME.sh, t/README.md), the dispatcher calls these once.
# Needs ECS_ROOT set and scripts/lib.sh and scripts/runsc.sh sourced.

# Everything the build, the tests, the fuzzers, the stack and the packaging
# need, from Debian's archive only (the tests download nothing else). Add to
# this list, one package per word; apt runs only when one is missing.
ECS_PACKAGES="
	build-essential autoconf automake libtool pkg-config musl-tools
	libcurl4-openssl-dev libjson-c-dev libssl-dev
	libfcgi-dev libfcgi-bin spawn-fcgi check
	docker.io runsc busybox-static docker-registry apache2-utils
	curl jq openssl ca-certificates iproute2 procps psmisc git
	valgrind clang libclang-rt-14-dev
	nginx-light haproxy
	libsqlite3-dev sqlite3 libpq-dev postgresql
	testssl.sh python3 python3-yaml python3-jsonschema
	debhelper fakeroot lintian mandoc
	shellcheck cloud-init prometheus debootstrap systemd-container
"
# Node and npm for Redocly CLI (the API reference page, scripts/api-docs.sh):
# Debian's, installed only when the machine has no npm of its own (a Node
# from elsewhere, e.g. NodeSource's nodejs, already carries npm and would
# conflict with Debian's npm package).
NODE_PACKAGES="nodejs npm"

# (the phases and ./bootstrap use them too)
RUN=$ECS_ROOT/run
# shellcheck disable=SC2034
BUILD=$ECS_ROOT/build
# shellcheck disable=SC2034
BUILD_SAN=$ECS_ROOT/build-san
JOBS=2

# The fixed test registry and its credentials (see t/README.md).
REGISTRY=127.0.0.1:5000
REGISTRY_USER=ecs-test
REGISTRY_PASSWORD=ecs-test-password
TEST_IMAGE=ecs/busybox:latest
PRIVATE_IMAGE=$REGISTRY/ecs/private-busybox:1.0

# ---- Debian packages -------------------------------------------------------

deps_install() {
	local p missing=""
	for p in $ECS_PACKAGES; do
		if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
			missing="$missing $p"
		fi
	done
	if [ -z "$missing" ]; then
		log "Debian packages: all installed"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "run as root to install:$missing"
	log "installing Debian packages:$missing"
	# Without systemd, package scripts may still start services through
	# invoke-rc.d (docker-registry on :5000, nginx on :80) and collide with
	# the ones we start ourselves: forbid that for the duration of the install.
	(
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod 755 /usr/sbin/policy-rc.d
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update
		# shellcheck disable=SC2086 # one word per package
		apt-get install -y --no-install-recommends $missing
	)
}

node_up() {
	command -v npm >/dev/null && return 0
	[ "$(id -u)" = 0 ] || die "run as root to install: $NODE_PACKAGES"
	log "installing Debian packages: $NODE_PACKAGES"
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $NODE_PACKAGES
}

# ---- build -------------------------------------------------------------------

# autoreconf_tree: autoreconf -fi when configure is missing or older than
# configure.ac, or a Makefile.am has no Makefile.in yet; any other change
# (a Makefile.am, an m4 file) is followed by automake's own rebuild rules
# when make runs. Skipping it saves half a minute of every phase's setup.
autoreconf_tree() {
	[ ! -f "$ECS_ROOT/config.status" ] ||
		die "the source tree itself is configured (config.status); run 'make distclean' there: out-of-tree builds need a clean tree"
	local am stale=
	[ -x "$ECS_ROOT/configure" ] && [ ! "$ECS_ROOT/configure.ac" -nt "$ECS_ROOT/configure" ] || stale=yes
	while IFS= read -r am; do
		[ -f "${am%.am}.in" ] || stale=yes
	# (pruned, not filtered: build/ holds the systemd phase's Debian root,
	# which may be in the making beside this, and run/ the phases' state)
	done < <(find "$ECS_ROOT" \( -path "$ECS_ROOT/build*" -o -path "$ECS_ROOT/.git" -o -path "$ECS_ROOT/run" \) -prune \
		-o -name Makefile.am -print)
	if [ -z "$stale" ]; then
		log "configure is up to date (make follows Makefile.am changes)"
		return 0
	fi
	log "autoreconf -fi"
	(cd "$ECS_ROOT" && autoreconf -fi)
	rm -f "$ECS_ROOT/configure~"
}

# build_tree DIR [CONFIGURE ARGS...]: configure (when needed) and make in DIR.
# --disable-static: the trees the tests and the stack use need no libecs.a
# (the tests link the convenience libraries, whose .a libtool still makes);
# without it libtool compiles every library source twice, PIC and not (lib/
# alone: 29 against 39 CPU-seconds; a small part of a whole build, about
# 180). The packages still ship libecs.a (their own build,
# scripts/build-deb.sh).
build_tree() {
	local dir=$1
	shift
	set -- --disable-static "$@"
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$ECS_ROOT/configure" -nt "$dir/config.status" ] ||
		[ "$*" != "$(cat "$dir/.bootstrap-configure-args" 2>/dev/null)" ]; then
		log "configuring ${dir#"$ECS_ROOT"/} $*"
		(cd "$dir" && "$ECS_ROOT/configure" "$@") >"$dir/.configure.out" 2>&1 || {
			tail -n 30 "$dir/.configure.out" >&2
			warn "configure failed, see ${dir#"$ECS_ROOT"/}/config.log"
			return 1
		}
		printf '%s' "$*" >"$dir/.bootstrap-configure-args"
	fi
	log "building ${dir#"$ECS_ROOT"/} (make -j$JOBS)"
	make -C "$dir" -j"$JOBS"
}

# build_tests DIR: compile the check programs without running them (an
# empty TESTS list), so that compiling and testing fail as separate phases.
build_tests() {
	log "building the tests in ${1#"$ECS_ROOT"/}"
	make -C "$1" -j"$JOBS" check TESTS=
}

# ---- Docker engine -----------------------------------------------------------

# The engine also gets gVisor's runsc runtime (scripts/runsc.sh): written into
# daemon.json before we start dockerd ourselves, or added with a SIGHUP to a
# running dockerd that this tree started; someone else's engine keeps the
# runtimes it has (the tests that need runsc then skip, saying so).
engine_up() {
	if engine_ping; then
		log "Docker engine already answers on /var/run/docker.sock"
		runsc_register "$RUN/dockerd.pid"
	elif pid_alive "$RUN/dockerd.pid" dockerd; then
		log "waiting for the dockerd we started earlier"
		wait_daemon 60 dockerd "$RUN/dockerd.pid" "$RUN/dockerd.log" engine_ping
		runsc_register "$RUN/dockerd.pid"
	elif pgrep -x dockerd >/dev/null; then
		# Someone else's dockerd, still starting: use it, never stop it.
		log "waiting for a dockerd started by someone else"
		wait_for 60 engine_ping || die "no answer from dockerd on /var/run/docker.sock after 60 s"
		runsc_register "$RUN/dockerd.pid"
	else
		[ "$(id -u)" = 0 ] || die "no Docker engine answers and only root can start dockerd"
		runsc_prepare_start
		log "starting dockerd (log: run/dockerd.log)"
		start_daemon "$RUN/dockerd.pid" "$RUN/dockerd.log" dockerd
		wait_daemon 60 dockerd "$RUN/dockerd.pid" "$RUN/dockerd.log" engine_ping
		info "dockerd ready, pid $(cat "$RUN/dockerd.pid")"
		info "engine runtimes: $(engine_runtimes | tr '\n' ' ')"
	fi
	info "engine $("$DOCKER" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1 || true)"
}

engine_stop() {
	if [ -f "$RUN/dockerd.pid" ]; then
		stop_daemon "$RUN/dockerd.pid" dockerd 60
	else
		log "dockerd: not started by bootstrap, left alone"
	fi
}

# ---- the local test image ------------------------------------------------------

image_up() {
	if "$DOCKER" image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
		log "image $TEST_IMAGE present"
	else
		log "building image $TEST_IMAGE from busybox-static"
		"$ECS_ROOT/scripts/mkimage.sh" "$TEST_IMAGE"
	fi
}

# ---- the private test registry --------------------------------------------------

registry_status() {
	curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$@" "http://$REGISTRY/v2/" 2>/dev/null || true
}
registry_answers() { [ "$(registry_status)" = 401 ]; }

registry_write_config() {
	local dir=$RUN/registry
	mkdir -p "$dir/data"
	htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$dir/htpasswd"
	cat >"$dir/config.yml" <<EOF
# Written by ./bootstrap: the private registry for the ecs tests.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
auth:
  htpasswd:
    realm: ecs-test-registry
    path: $dir/htpasswd
EOF
}

registry_up() {
	if registry_answers; then
		[ "$(registry_status -u "$REGISTRY_USER:$REGISTRY_PASSWORD")" = 200 ] ||
			die "something on $REGISTRY refuses the test credentials; stop it first"
		log "registry already answers on $REGISTRY"
	else
		[ -z "$(registry_status)" ] || [ "$(registry_status)" = 000 ] ||
			die "$REGISTRY answers $(registry_status), not like our registry; free the port"
		log "starting docker-registry on $REGISTRY (log: run/registry.log)"
		registry_write_config
		start_daemon "$RUN/registry.pid" "$RUN/registry.log" docker-registry serve "$RUN/registry/config.yml"
		wait_daemon 30 docker-registry "$RUN/registry.pid" "$RUN/registry.log" registry_answers
	fi
	registry_push
	forget_private_image
	write_test_env
}

# Tests must pull the private image, so it must not be present locally: at
# the start, and again before each phase that runs the integration tests.
forget_private_image() {
	if "$DOCKER" image inspect "$PRIVATE_IMAGE" >/dev/null 2>&1; then
		"$DOCKER" rmi "$PRIVATE_IMAGE" >/dev/null 2>&1 ||
			warn "could not remove the local $PRIVATE_IMAGE (a container uses it?): tests will not pull it"
	fi
}

registry_has_private_image() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REGISTRY/v2/ecs/private-busybox/manifests/1.0")" = 200 ]
}

registry_push() {
	if registry_has_private_image; then
		log "registry holds $PRIVATE_IMAGE"
		return 0
	fi
	log "pushing $PRIVATE_IMAGE"
	# A private client config, so root's ~/.docker is never touched.
	local cfg=$RUN/docker-config
	mkdir -p "$cfg"
	local out rc=0
	"$DOCKER" tag "$TEST_IMAGE" "$PRIVATE_IMAGE"
	# (quiet unless it fails: login warns about storing the password)
	out=$(printf '%s' "$REGISTRY_PASSWORD" |
		"$DOCKER" --config "$cfg" login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" 2>&1) || {
		printf '%s\n' "$out" >&2
		"$DOCKER" rmi "$PRIVATE_IMAGE" >/dev/null
		die "docker login $REGISTRY failed"
	}
	"$DOCKER" --config "$cfg" push "$PRIVATE_IMAGE" >/dev/null || rc=$?
	"$DOCKER" --config "$cfg" logout "$REGISTRY" >/dev/null || true
	"$DOCKER" rmi "$PRIVATE_IMAGE" >/dev/null
	[ $rc -eq 0 ] || die "docker push $PRIVATE_IMAGE failed"
	registry_has_private_image || die "the registry does not list $PRIVATE_IMAGE after the push"
}

registry_stop() {
	if [ -f "$RUN/registry.pid" ]; then
		stop_daemon "$RUN/registry.pid" docker-registry 30
	else
		log "registry: not started by bootstrap, left alone"
	fi
	rm -f "$RUN/test.env"
}

write_test_env() {
	cat >"$RUN/test.env" <<EOF
# Written by ./bootstrap: what the tests need to reach the test registry.
export ECS_TEST_IMAGE='$TEST_IMAGE'
export ECS_TEST_REGISTRY='$REGISTRY'
export ECS_TEST_PRIVATE_IMAGE='$PRIVATE_IMAGE'
export ECS_TEST_REGISTRY_USER='$REGISTRY_USER'
export ECS_TEST_REGISTRY_PASSWORD='$REGISTRY_PASSWORD'
EOF
}

# ---- PostgreSQL for the store's tests -----------------------------------------
#
# A cluster of the tree's own (scripts/pg.sh) in run/pg on ECS_TEST_PG_PORT
# (default 5440; another tree on the same machine picks another), for the
# phases that need "pg": check_store and check_it_store_pg run against it
# through ECS_TEST_PG_DSN. A DSN already set in the environment is used as
# it is (an existing server), and nothing is started.
PG_TEST_DIR=$RUN/pg
PG_TEST_PORT=${ECS_TEST_PG_PORT:-5440}
# (the DSN given from outside, before cmd_test exports its own)
PG_GIVEN_DSN=${ECS_TEST_PG_DSN:-}

pg_up() {
	if [ -n "$PG_GIVEN_DSN" ]; then
		log "PostgreSQL: ECS_TEST_PG_DSN is set, using it"
		return 0
	fi
	log "PostgreSQL: $PG_TEST_DIR on port $PG_TEST_PORT"
	# (its own session: a Ctrl-C on the bootstrap does not reach the server)
	setsid -w "$ECS_ROOT/scripts/pg.sh" start "$PG_TEST_DIR" "$PG_TEST_PORT" >/dev/null 9>&-
}

# pg_dsn: the DSN of the running test cluster (or the one given).
pg_dsn() {
	if [ -n "$PG_GIVEN_DSN" ]; then
		printf '%s\n' "$PG_GIVEN_DSN"
	else
		"$ECS_ROOT/scripts/pg.sh" status "$PG_TEST_DIR"
	fi
}

pg_down() {
	[ -z "$PG_GIVEN_DSN" ] || return 0
	"$ECS_ROOT/scripts/pg.sh" stop "$PG_TEST_DIR" 9>&-
}

# ---- the ecs stack (nginx + spawn-fcgi + ecs-fcgi) -------------------------------
#
# HOOK for the front-door work: provide an executable scripts/stack.sh with
#   scripts/stack.sh start   start ecs-fcgi under spawn-fcgi and nginx on
#                            https://127.0.0.1:8443 from $ECS_BUILD, pidfiles
#                            in $ECS_RUN, wait until it answers, then write
#                            $ECS_RUN/ecs.env (ECS_ENDPOINT, ECS_CA_CERT,
#                            ECS_CLIENT_CERT, ECS_CLIENT_KEY[, ECS_KEY,
#                            ECS_SECRET]); idempotent; non-zero on failure.
#   scripts/stack.sh stop    stop what start started, remove ecs.env.
# Until it exists, demo runs the task with build/cli/ecs-run instead, and the
# e2e tests find no run/ecs.env.

stack_available() { [ -x "$ECS_ROOT/scripts/stack.sh" ]; }

stack_start() {
	stack_available || {
		log "no FastCGI stack yet (scripts/stack.sh missing): skipping nginx and ecs-fcgi"
		return 0
	}
	log "starting the ecs stack"
	"$ECS_ROOT/scripts/stack.sh" start 9>&-
	[ -s "$RUN/ecs.env" ] || die "scripts/stack.sh start did not write run/ecs.env"
}

stack_stop() {
	if stack_available; then
		"$ECS_ROOT/scripts/stack.sh" stop 9>&-
	fi
}

