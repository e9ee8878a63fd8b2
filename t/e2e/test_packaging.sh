#!/bin/bash
# The Debian packages, end to end, the way an operator uses them:
#   build them (scripts/build-deb.sh, lintian without errors), install them
#   with apt, start the packaged responder with the systemd unit's own command
#   line (there is no systemd here) on a temporary socket, render the packaged
#   nginx site with the packaged render script and a throw-away CA, run a task
#   through HTTPS with a client certificate, compile and run a program against
#   libecs-dev with pkg-config, then purge and show nothing is left.
#
# Needs: root, a Docker engine with ecs/busybox:latest, nginx, the build
# dependencies of packaging/debian/control, dpkg-dev, debhelper, lintian,
# python3-jsonschema and python3-yaml (./bootstrap installs them all).
# Does not use the demo stack (run/ecs.env): it brings up its own.
# ECS_DEBS_DIR=DIR tests the .debs in DIR instead of building them (the
# bootstrap's debs step, scripts/phases/debs.sh, builds them once for this
# and the systemd phase; its lintian report, DIR/lintian.txt, is read here).
# Works in its own temporary directory and cleans up with a trap, whatever
# fails; leaves no container labelled ecs.managed=true that it made.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
NAME=test_packaging
IMAGE=${ECS_TEST_IMAGE:-ecs/busybox:latest}
DOCKER=${DOCKER:-/usr/bin/docker}
PKGS="ecs-agent ecs-fcgi libecs-dev libecs5"

# say, ok, not_ok, check, wait_for (t/lib/test.sh)
TEST_NAME=$NAME
# shellcheck source=t/lib/test.sh
. "$REPO/t/lib/test.sh"
finish() {
	echo "$NAME: $TEST_PASSED passed, $TEST_FAILED failed, $TEST_SKIPPED skipped"
	echo "$TEST_PASSED passed, $TEST_FAILED failed, $TEST_SKIPPED skipped"
	[ "$TEST_FAILED" -eq 0 ]
	exit $?
}
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }
any_installed() { local p; for p in $PKGS; do installed "$p" && return 0; done; return 1; }

if [ "$(id -u)" -ne 0 ]; then
	TEST_SKIPPED=1
	say "skip - installing packages needs root"
	finish
fi

# Two runs at once would install and purge the same packages under each
# other (several work trees may share this machine): take turns.
exec 9>/run/lock/ecs-test-packaging.lock
if ! flock -w 600 9; then
	not_ok "another test_packaging.sh held the lock for 10 minutes"
	finish
fi

TMP=$(mktemp -d /tmp/ecs-pkg-test.XXXXXX)
# nginx's workers (www-data) must reach the socket under here.
chmod 0755 "$TMP"
NGINX_PID='' FCGI_PID='' TASK_IDS=()
USER_BEFORE=$(getent passwd ecs || true)
GROUPS_BEFORE=$( [ -z "$USER_BEFORE" ] || id -Gn ecs 2>/dev/null | tr ' ' ',')

cleanup() {
	local rc=$? id
	trap - EXIT
	if [ -n "$NGINX_PID" ] && ! gone "$NGINX_PID"; then
		kill -QUIT "$NGINX_PID" 2>/dev/null
		wait_for 10 gone "$NGINX_PID" || kill -KILL "$NGINX_PID" 2>/dev/null
	fi
	if [ -n "$FCGI_PID" ] && ! gone "$FCGI_PID"; then
		kill -TERM "$FCGI_PID" 2>/dev/null
		wait_for 40 gone "$FCGI_PID" || kill -KILL "$FCGI_PID" 2>/dev/null
	fi
	# Only what this test made: its tasks' containers.
	for id in "${TASK_IDS[@]}"; do
		"$DOCKER" ps -aq --filter "label=ecs.task-id=$id" | xargs -r "$DOCKER" rm -f >/dev/null 2>&1
	done
	if any_installed; then
		# shellcheck disable=SC2086 # one package per word
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 $PKGS >/dev/null 2>&1 || true
	fi
	# Give the instance lock directory back to root before user ecs goes.
	[ -z "${INSTANCE_DIR_CHOWNED:-}" ] || chown root:root /run/ecs/instances 2>/dev/null || true
	restore_user
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A user called ecs that existed before us (e.g. the demo stack's) is put
# back after the purge removed it.
restore_user() {
	local uid gid home shell
	[ -n "$USER_BEFORE" ] || return 0
	getent passwd ecs >/dev/null && return 0
	IFS=: read -r _ _ uid gid _ home shell <<<"$USER_BEFORE"
	getent group "$gid" >/dev/null || groupadd -g "$gid" ecs
	useradd -r -u "$uid" -g "$gid" -d "$home" -s "$shell" ${GROUPS_BEFORE:+-G "$GROUPS_BEFORE"} ecs 2>/dev/null || true
}

# ---- preconditions -----------------------------------------------------------
curl -s --max-time 3 --unix-socket /var/run/docker.sock http://x/_ping | grep -qx OK ||
	{ not_ok "a Docker engine answers on /var/run/docker.sock"; finish; }
"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || { not_ok "image $IMAGE is present"; finish; }
for c in dpkg-buildpackage dh lintian nginx openssl pkg-config cc; do
	command -v "$c" >/dev/null || { not_ok "$c is installed"; finish; }
done
if any_installed; then
	say "removing ecs packages left by an earlier run"
	# shellcheck disable=SC2086 # one package per word
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 $PKGS >/dev/null 2>&1
fi

# ---- the man pages ---------------------------------------------------------------
if command -v mandoc >/dev/null; then
	check "man pages are lint-clean and cover every public function" "$REPO/docs/man/check.sh"
else
	not_ok "mandoc is installed (docs/man/check.sh needs it)"
fi

# ---- build -------------------------------------------------------------------
# --worktree: the tracked files as they are (in CI, the commit under test).
# ECS_DEBS_DIR: test packages built elsewhere (by CI's build step) instead.
t0=$(date +%s)
if [ -n "${ECS_DEBS_DIR:-}" ]; then
	# (scripts/build-deb.sh --lintian leaves its report beside the .debs it built)
	mkdir -p "$TMP/debs" && cp "$ECS_DEBS_DIR"/*.deb "$TMP/debs/" &&
		if [ -f "$ECS_DEBS_DIR/lintian.txt" ]; then
			cp "$ECS_DEBS_DIR/lintian.txt" "$TMP/debs/"
		else
			lintian -EIL +pedantic "$TMP"/debs/*.deb 2>&1 | grep -v '^running with root' >"$TMP/debs/lintian.txt"
		fi
	check "lintian shows no error on the packages in $ECS_DEBS_DIR" bash -c '! grep -q "^E: " "$0"' "$TMP/debs/lintian.txt"
elif "$REPO/scripts/build-deb.sh" --worktree --lintian "$TMP/debs" >"$TMP/build.log" 2>&1; then
	ok "packages built and lintian shows no error ($(($(date +%s) - t0))s)"
else
	tail -n 40 "$TMP/build.log"
	not_ok "scripts/build-deb.sh (see above)"
	finish
fi
grep -E '^[EW]: ' "$TMP/debs/lintian.txt" | sed "s/^/$NAME:   lintian: /"
version=$(dpkg-parsechangelog -l "$REPO/packaging/debian/changelog" -S Version)

# ---- install -----------------------------------------------------------------
debs=()
for p in $PKGS; do debs+=("$TMP/debs/${p}_${version}_$(dpkg --print-architecture).deb"); done
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 --no-install-recommends "${debs[@]}" \
	>"$TMP/install.log" 2>&1; then
	ok "apt-get install ./ecs-agent ./ecs-fcgi ./libecs-dev ./libecs5"
else
	tail -n 20 "$TMP/install.log"
	not_ok "apt-get install of the packages"
	finish
fi
check "all four packages are installed" bash -c 'for p in $0; do dpkg-query -W -f="\${db:Status-Status}\n" $p | grep -qx installed || exit 1; done' "$PKGS"
check "/usr/sbin/ecs-fcgi and /usr/bin/ecs-run are installed" test -x /usr/sbin/ecs-fcgi -a -x /usr/bin/ecs-run
check "/usr/libexec/ecs/ecs-agent is installed, statically linked" bash -c \
	'test -x /usr/libexec/ecs/ecs-agent && ! readelf -l /usr/libexec/ecs/ecs-agent | grep -q "program interpreter"'
check "/etc/ecs/ecs.conf is a conffile" bash -c 'dpkg-query -W -f="\${Conffiles}" ecs-fcgi | grep -q " /etc/ecs/ecs.conf "'
check "the packaged config passes --check-config" /usr/sbin/ecs-fcgi --check-config --config /etc/ecs/ecs.conf
check "system user ecs exists" getent passwd ecs
check "ecs is in the docker group" bash -c 'id -Gn ecs | tr " " "\n" | grep -qx docker'
check "man pages installed (ecs-fcgi.8, ecs.conf.5, ecs-run.1, libecs.3, ecs_task_run.3)" \
	test -e /usr/share/man/man8/ecs-fcgi.8.gz -a -e /usr/share/man/man5/ecs.conf.5.gz \
	-a -e /usr/share/man/man1/ecs-run.1.gz -a -e /usr/share/man/man3/libecs.3.gz \
	-a -e /usr/share/man/man3/ecs_task_run.3.gz
check "no libtool archive shipped" bash -c '! dpkg -L libecs-dev | grep -q "\.la$"'

# ---- the responder, as the systemd unit starts it ------------------------------
UNIT=/lib/systemd/system/ecs-fcgi.service
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT" | head -n 1)
sock=$(sed -n 's/.* -s \([^ ]*\) .*/\1/p' <<<"$exec_start")
if [ -z "$exec_start" ] || [ -z "$sock" ]; then
	not_ok "the unit has an ExecStart with spawn-fcgi -s SOCKET"
	finish
fi
mkdir -p "$TMP/run" && chmod 0755 "$TMP/run"
SOCK=$TMP/run/ecs-fcgi.sock
# What systemd does before ExecStart: the unit's ExecStartPre lines, word for
# word (they give user ecs its instance lock directory, which root-run tests
# may have made before). Root's own instances ignore the ownership. systemd's
# prefixes before the executable ("+": with full privileges, as this test
# runs anyway; "-", "@", ":", "!") are not part of the command.
while IFS= read -r pre; do
	[ -n "$pre" ] || continue
	pre=${pre#"${pre%%[!@:+!-]*}"}
	read -r -a precmd <<<"$pre"
	"${precmd[@]}" || not_ok "the unit's ExecStartPre $pre"
done < <(sed -n 's/^ExecStartPre=//p' "$UNIT")
INSTANCE_DIR_CHOWNED=yes
# The unit's command line, word for word, with our socket instead of /run/ecs's.
read -r -a cmd <<<"${exec_start//$sock/$SOCK}"
say "starting: ${cmd[*]}"
"${cmd[@]}" </dev/null >"$TMP/ecs-fcgi.log" 2>&1 &
FCGI_PID=$!
if wait_for 15 test -S "$SOCK"; then
	ok "the packaged ecs-fcgi listens on a socket, via the unit's spawn-fcgi command line"
else
	cat "$TMP/ecs-fcgi.log"
	not_ok "ecs-fcgi did not create $SOCK"
	finish
fi
check "the responder runs as user ecs" bash -c '[ "$(ps -o user= -p '"$FCGI_PID"')" = ecs ]'
check "the socket is ecs:www-data, mode 660" bash -c '[ "$(stat -c "%U:%G %a" "$0")" = "ecs:www-data 660" ]' "$SOCK"

# ---- nginx from the packaged template ------------------------------------------
cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=ecs pkg-test CA" \
	-keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
	-out server.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=pkg-test client" \
	-keyout client.key -out client.csr 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >client.ext
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext \
	-out client.crt 2>/dev/null
check "a throw-away CA, server and client certificate" test -s client.crt -a -s server.crt

port=
for p in $(shuf -i 20000-29999 -n 20); do
	ss -ltnH "sport = :$p" | grep -q . || { port=$p; break; }
done
PREFIX=$TMP/nginx
mkdir -p "$PREFIX/logs" "$PREFIX/tmp" && chown www-data "$PREFIX/tmp"
if /usr/share/ecs/nginx/render --mode full --out "$PREFIX/nginx.conf" \
	PREFIX="$PREFIX" WORKER_USER=www-data WORKER_PROCESSES=1 \
	SSL_CERT="$TMP/server.crt" SSL_KEY="$TMP/server.key" CLIENT_CA="$TMP/ca.crt" \
	API_SERVER_NAMES="127.0.0.1 localhost" HTTPS_LISTEN="127.0.0.1:$port" \
	REDIRECT_LISTEN= HEALTH_LISTEN= FCGI_SOCKET="$SOCK" >"$TMP/render.log" 2>&1 &&
	nginx -t -q -p "$PREFIX" -c "$PREFIX/nginx.conf" -e stderr >>"$TMP/render.log" 2>&1; then
	ok "the packaged render script makes a site nginx accepts (docs root: its default)"
else
	cat "$TMP/render.log"
	not_ok "rendering the packaged nginx site"
	finish
fi
check "the rendered docs root is the packaged API reference" \
	grep -q "root /usr/share/ecs/docs/api" "$PREFIX/nginx.conf"
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" </dev/null
wait_for 10 test -s "$PREFIX/nginx.pid" && NGINX_PID=$(cat "$PREFIX/nginx.pid")
ENDPOINT=https://127.0.0.1:$port
curl_api() { # curl_api PATH [args]: body in $TMP/body, status printed
	local p=$1
	shift
	curl -sS -o "$TMP/body" -w '%{http_code}' --max-time 60 --cacert "$TMP/ca.crt" \
		--cert "$TMP/client.crt" --key "$TMP/client.key" "$@" "$ENDPOINT$p" 2>"$TMP/curl.err" || echo 000
}
ready() { [ "$(curl_api /v1.1/_health)" = 200 ]; }
check "nginx answers the packaged responder's health check over HTTPS" wait_for 15 ready

# ---- a task through it -------------------------------------------------------------
# network none: an engine may have no bridge (dockerd --bridge=none).
validate() { "$REPO/t/lib/openapi_validate.py" "$@" <"$TMP/body"; }
status=$(curl_api /v1.1/_version)
check "GET /v1.1/_version: 200, version $version" \
	bash -c '[ "$0" = 200 ] && grep -q "\"version\": *\"$1\"" "$2"' "$status" "$version" "$TMP/body"
check "  the body matches the OpenAPI schema" validate GET /v1.1/_version 200
status=$(curl_api /v1.1/tasks -H 'Content-Type: application/json' \
	--data '{"docker_image": "'"$IMAGE"'", "cmd": ["echo", "hello from the package"], "network": "none"}')
tid=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("taskId",""))' "$TMP/body" 2>/dev/null)
[ -z "$tid" ] || TASK_IDS+=("$tid")
out=$(/usr/bin/python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(open(sys.argv[1]))["stdout"]).decode(), end="")' "$TMP/body" 2>/dev/null)
check "POST /v1.1/tasks through the packaged stack: 201" test "$status" = 201
[ "$status" = 201 ] || { say "  got $status: $(head -c 400 "$TMP/body")"; tail -n 5 "$TMP/ecs-fcgi.log"; }
check "  stdout decodes to 'hello from the package'" test "$out" = "hello from the package"
check "  the body matches the OpenAPI schema" validate POST /v1.1/tasks "$status"
status=$(curl -sS -o "$TMP/body" -w '%{http_code}' --max-time 10 --cacert "$TMP/ca.crt" "$ENDPOINT/v1.1/_noop" 2>/dev/null)
check "no client certificate: a JSON 400 that matches the schema" \
	bash -c '[ "$0" = 400 ] && "$1" GET /v1.1/_noop 400 <"$2"' "$status" "$REPO/t/lib/openapi_validate.py" "$TMP/body"

# ---- a program against libecs-dev ---------------------------------------------
cat >"$TMP/hello.c" <<'EOF'
#include <stdio.h>
#include <ecs/ecs.h>

int main(int argc, char **argv)
{
	const char *cmd[] = { "echo", "hello" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result res = ECS_TASK_RESULT_INIT;
	ecs_engine *engine = NULL;
	int rc;

	if (argc != 3 || ecs_global_init() != 0)
		return 2;
	if ((rc = ecs_engine_new(&engine, NULL)) == 0) {
		spec.run.image = argv[1];
		spec.task_id = argv[2];
		spec.run.cmd = cmd;
		spec.run.cmd_len = 2;
		/* No reaper: the container is deleted before ecs_task_run returns. */
		rc = ecs_task_run(&res, engine, NULL, &spec);
		if (rc == 0)
			fwrite(res.out.data, 1, res.out.len, stdout);
		else
			fprintf(stderr, "%s: %s (%s)\n", ecs_task_phase_name(res.error_phase) ? ecs_task_phase_name(res.error_phase) : "-", res.error, ecs_strerror(rc));
		ecs_task_result_clear(&res);
	}
	ecs_engine_free(engine);
	ecs_global_cleanup();
	return rc == 0 ? 0 : 1;
}
EOF
# shellcheck disable=SC2046 # pkg-config's output is meant to be split
if cc -Wall -Werror -o "$TMP/hello" "$TMP/hello.c" $(pkg-config --cflags --libs libecs) 2>"$TMP/cc.log"; then
	ok "a program compiles and links with \$(pkg-config --cflags --libs libecs)"
	check "  it links the packaged libecs.so.5" bash -c 'ldd "$0" | grep -Eq "libecs.so.5 => (/usr)?/lib/"' "$TMP/hello"
	hid=pkg-test-$$-$RANDOM
	TASK_IDS+=("$hid")
	hout=$("$TMP/hello" "$IMAGE" "$hid" 2>"$TMP/hello.err")
	check "  it runs 'echo hello' in $IMAGE through ecs_task_run" test "$hout" = hello
	[ "$hout" = hello ] || cat "$TMP/hello.err"
	check "  and leaves no container behind" \
		bash -c '[ -z "$("$0" ps -aq --filter "label=ecs.task-id=$1")" ]' "$DOCKER" "$hid"
else
	cat "$TMP/cc.log"
	not_ok "compiling against libecs-dev"
fi

# ---- stop everything ----------------------------------------------------------
kill -QUIT "$NGINX_PID" 2>/dev/null
check "nginx stops" wait_for 10 gone "$NGINX_PID"
kill -TERM "$FCGI_PID" 2>/dev/null
check "ecs-fcgi stops on SIGTERM" wait_for 40 gone "$FCGI_PID"
wait "$FCGI_PID" 2>/dev/null
no_task_containers() {
	local id
	for id in "${TASK_IDS[@]}"; do
		[ -z "$("$DOCKER" ps -aq --filter "label=ecs.task-id=$id")" ] || return 1
	done
}
check "no container of this test's tasks is left" wait_for 10 no_task_containers

# ---- purge ----------------------------------------------------------------------
# shellcheck disable=SC2086 # one package per word
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 $PKGS >"$TMP/purge.log" 2>&1; then
	ok "apt-get purge $PKGS"
else
	tail -n 20 "$TMP/purge.log"
	not_ok "apt-get purge"
fi
check "dpkg knows none of the packages any more" bash -c '! dpkg-query -W -f="\${db:Status-Abbrev}\n" $0 2>/dev/null | grep -q "^[a-z]i"' "$PKGS"
left=$(ls -d /usr/sbin/ecs-fcgi /usr/bin/ecs-run /usr/libexec/ecs /etc/ecs /usr/share/ecs /usr/include/ecs \
	/usr/lib/*/libecs.* /usr/lib/*/pkgconfig/libecs.pc /lib/systemd/system/ecs-fcgi.service \
	/usr/share/doc/ecs-fcgi /usr/share/man/man8/ecs-fcgi.8.gz 2>/dev/null)
check "no file is left (ecs-fcgi, ecs-run, /etc/ecs, /usr/share/ecs, headers, library, unit)" test -z "$left"
[ -z "$left" ] || say "  left: $left"
if [ -z "$USER_BEFORE" ]; then
	check "user and group ecs are gone" bash -c '! getent passwd ecs && ! getent group ecs'
else
	say "skip - user ecs existed before this test; put back"
	TEST_SKIPPED=$((TEST_SKIPPED + 1))
fi
finish
