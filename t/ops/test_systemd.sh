#!/bin/bash
# The systemd phase: the .debs (ECS_TEST_DEBS, the bootstrap's debs step; by
# hand, scripts/build-deb.sh from HEAD) installed
# in a Debian 12 root and booted by systemd 252 under systemd-nspawn --boot,
# with a network of its own (--private-network: the packaged nginx binds 80,
# 443 and 8082 in there, colliding with nothing) and the host's engine socket
# bind-mounted. Checks: ecs-fcgi and nginx enabled and active, no failed
# unit; a task through the packaged nginx site with a client certificate;
# `systemctl restart ecs-fcgi` loses no task in flight (it finishes, or is
# refused with JSON); `systemctl stop ecs-fcgi` leaves no container of its
# instance; purge removes the user, /etc/ecs, the unit and its enablement.
#
# The root (debootstrap --variant=minbase bookworm, plus the packages' runtime
# dependencies from Debian's archive) is cached in build/systemd/base; each
# run works on a copy (build/systemd/machine). Root only; needs debootstrap and systemd-container.
# (The host has no systemd and no system bus: nspawn runs with --register=no
# --keep-unit; see /work/shared/engine-notes.md.)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/scripts/lib.sh"
BUILD=${ECS_BUILD:-$ROOT/build}
DIR=$BUILD/systemd
BASE=$DIR/base
M=$DIR/machine
DOCKER=${DOCKER:-/usr/bin/docker}
IMG=${ECS_TEST_IMAGE:-ecs/busybox:latest}
MIRROR=${ECS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The runtime dependencies of the packages (packaging/debian/control and
# their shlibs), cached in the base root so a run installs the .debs offline.
DEPS="adduser spawn-fcgi docker.io nginx-light libcurl4 libjson-c5 libssl3
	libiniparser1 libfcgi0ldbl libsqlite3-0 libpq5 curl ca-certificates jq"
NSPAWN_PID=
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fail=1; }

[ "$(id -u)" = 0 ] || { echo "test_systemd: needs root" >&2; exit 1; }

# in_root CMD...: CMD in the chroot, services kept from starting.
in_root() { chroot "$1" /usr/bin/env DEBIAN_FRONTEND=noninteractive "${@:2}"; }

# ---- the cached base root ------------------------------------------------------
# (the marker holds the list it was made with: a new dependency makes it again)
mkdir -p "$DIR"
exec 7>"$DIR/base.lock" # (two runs never make it side by side)
flock 7
if [ "$(cat "$BASE/.ecs-base-ready" 2>/dev/null)" != "$DEPS" ]; then
	rm -rf "$BASE.tmp"
	echo "test_systemd: debootstrap bookworm into $BASE (cached afterwards)"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$BASE.tmp" "$MIRROR" \
		>"$DIR/debootstrap.log" 2>&1 || { tail -20 "$DIR/debootstrap.log" >&2; exit 1; }
	printf '#!/bin/sh\nexit 101\n' >"$BASE.tmp/usr/sbin/policy-rc.d"
	chmod 755 "$BASE.tmp/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$BASE.tmp/etc/resolv.conf"
	mount -t proc proc "$BASE.tmp/proc"
	# shellcheck disable=SC2086 # one word per package
	{ in_root "$BASE.tmp" apt-get update -q && in_root "$BASE.tmp" apt-get install -y -q --no-install-recommends $DEPS &&
		in_root "$BASE.tmp" apt-get clean; } >"$DIR/deps.log" 2>&1 || { umount "$BASE.tmp/proc"; tail -20 "$DIR/deps.log" >&2; exit 1; }
	umount "$BASE.tmp/proc"
	rm -f "$BASE.tmp/usr/sbin/policy-rc.d"
	printf "%s" "$DEPS" >"$BASE.tmp/.ecs-base-ready"
	rm -rf "$BASE"
	mv "$BASE.tmp" "$BASE"
fi
# --base-only: only the cached root (the bootstrap makes it early, in a lane
# that waits: on a fresh tree it is minutes of Debian's archive).
if [ "${1:-}" = --base-only ]; then ok "base root ready: $BASE"; exit 0; fi

# ---- the packages --------------------------------------------------------------
# (ECS_TEST_DEBS=DIR: install the .debs already in DIR instead of building)
if [ -n "${ECS_TEST_DEBS:-}" ]; then
	rm -rf "$DIR/debs"
	mkdir -p "$DIR/debs"
	cp "$ECS_TEST_DEBS"/*.deb "$DIR/debs/"
else
	DEB_BUILD_OPTIONS="nocheck parallel=2" "$ROOT/scripts/build-deb.sh" "$DIR/debs" >"$DIR/build-deb.log" 2>&1 ||
		{ tail -30 "$DIR/build-deb.log" >&2; exit 1; }
fi
ok "scripts/build-deb.sh: $(cd "$DIR/debs" && echo *.deb)"

# ---- a machine from the base ---------------------------------------------------
machine_pid() { # the container's systemd: the child of nspawn's child
	local c
	c=$(pgrep -P "$NSPAWN_PID" | head -n1) && [ -n "$c" ] && pgrep -P "$c" -x systemd | head -n1
}
INSTANCE=
cleanup() {
	local pid
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		pid=$(machine_pid || true)
		[ -z "$pid" ] || nsenter -a -t "$pid" systemctl poweroff >/dev/null 2>&1 || true
		wait_for 30 bash -c "! kill -0 $NSPAWN_PID" || kill -KILL "$NSPAWN_PID" 2>/dev/null || true
		wait "$NSPAWN_PID" 2>/dev/null || true
	fi
	# Whatever a failed check left: the containers of the machine's instance.
	if [ -n "$INSTANCE" ]; then
		"$DOCKER" ps -aq --filter "label=ecs.instance=$INSTANCE" | xargs -r "$DOCKER" rm -f >/dev/null 2>&1 || true
	fi
	umount "$M/proc" 2>/dev/null || true
	rm -rf "$M" "$AGENT_DIR"
}
# The agent where both the host's engine and the machine's ecs-fcgi see it at
# one path: not under /tmp, which the unit's PrivateTmp hides from ecs-fcgi
# (and this tree may live there).
AGENT_DIR=/run/ecs-systemd-test-agent.$$
trap cleanup EXIT
rm -rf "$M"
cp -a "$BASE" "$M"

# The bind-mounted engine socket keeps the host's group: the root's docker
# group must have the host's gid, as on any host where the engine runs.
host_gid=$(stat -c %g /var/run/docker.sock)
in_root "$M" groupmod -g "$host_gid" docker
# and the engine is the host's: the root's own (docker.io is a dependency)
# must not start.
for u in docker.service docker.socket containerd.service; do ln -sf /dev/null "$M/etc/systemd/system/$u"; done

printf '#!/bin/sh\nexit 101\n' >"$M/usr/sbin/policy-rc.d"
chmod 755 "$M/usr/sbin/policy-rc.d"
mkdir -p "$M/tmp/debs"
cp "$DIR"/debs/ecs-agent_*.deb "$DIR"/debs/libecs5_*.deb "$DIR"/debs/ecs-fcgi_*.deb "$M/tmp/debs/"
mount -t proc proc "$M/proc"
in_root "$M" sh -c 'dpkg -i /tmp/debs/*.deb' >"$DIR/install.log" 2>&1 || { cat "$DIR/install.log" >&2; exit 1; }
umount "$M/proc"
rm -f "$M/usr/sbin/policy-rc.d"
ok "dpkg -i ecs-agent libecs5 ecs-fcgi: installed offline over the base root"

# The operator's part (docs/operations.md): certificates, the nginx site from
# the packaged render, the warm pool's agent where the engine can see it.
# (not under /etc/ecs: what the operator put there is not the package's to purge)
"$ROOT/scripts/make-certs.sh" demo "$M/etc/ecs-test-certs" >/dev/null
in_root "$M" /usr/share/ecs/nginx/render --check --out /etc/nginx/sites-available/ecs \
	API_DOMAIN=api.ecs.test DOCS_DOMAIN=docs.ecs.test SSL_CERT=/etc/ecs-test-certs/server.crt \
	SSL_KEY=/etc/ecs-test-certs/server.key CLIENT_CA=/etc/ecs-test-certs/ca.crt CRL=/etc/ecs-test-certs/crl.pem \
	HEALTH_LISTEN=127.0.0.1:8082 >"$DIR/render.log" 2>&1 || { cat "$DIR/render.log" >&2; exit 1; }
ln -sf ../sites-available/ecs "$M/etc/nginx/sites-enabled/ecs"
rm -f "$M/etc/nginx/sites-enabled/default"
# The engine is the host's: it bind-mounts pool_agent from the host's file
# system. Every task container needs it, and ecs-fcgi checks the file is
# there from its own view: the packaged agent, and the hosts file beside it
# (a task without a network needs it for NetworkDisabled), are copied to
# $AGENT_DIR on the host, which the machine sees at the same path (--bind-ro
# below).
mkdir -p "$AGENT_DIR"
cp "$M/usr/libexec/ecs/ecs-agent" "$M/usr/libexec/ecs/hosts" "$AGENT_DIR/"
sed -i "s|^\[ecs\][[:space:]]*$|[ecs]\npool_agent = $AGENT_DIR/ecs-agent|" "$M/etc/ecs/ecs.conf"
grep -q "^pool_agent = $AGENT_DIR/" "$M/etc/ecs/ecs.conf" || { echo "test_systemd: no [ecs] section in ecs.conf" >&2; exit 1; }

# ---- boot ----------------------------------------------------------------------
timeout 900 systemd-nspawn -D "$M" --boot --register=no --keep-unit --console=read-only \
	--private-network --machine=ecs-systemd-test --bind=/var/run/docker.sock:/run/docker.sock --bind-ro="$AGENT_DIR:$AGENT_DIR" \
	</dev/null >"$DIR/boot.log" 2>&1 &
NSPAWN_PID=$!
wait_for 60 machine_pid || { echo "test_systemd: the machine's systemd did not come up in 60 s" >&2; tail -30 "$DIR/boot.log" >&2; exit 1; }
PID=$(machine_pid)
in_m() { nsenter -a -t "$PID" "$@"; }
# (systemctl answers once PID 1 has its private socket)
wait_for 60 in_m systemctl show -p Version --value || { echo "test_systemd: no systemctl in the machine after 60 s" >&2; tail -30 "$DIR/boot.log" >&2; exit 1; }
state=$(in_m timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
if [ "$state" = running ]; then ok "systemd boots: is-system-running says running"; else
	bad "is-system-running: $state; failed: $(in_m systemctl --failed --no-legend --plain | tr '\n' ' ')"; fi

for u in ecs-fcgi nginx; do
	e=$(in_m systemctl is-enabled "$u" 2>&1 || true)
	a=$(in_m systemctl is-active "$u" 2>&1 || true)
	if [ "$e" = enabled ] && [ "$a" = active ]; then ok "$u.service enabled and active"; else
		bad "$u.service: $e, $a"; in_m journalctl -u "$u" --no-pager -n 30 >&2 || true; fi
done
instance() { in_m sh -c 'ls -t /run/ecs/instances' 2>/dev/null | sed -n 's/^\([0-9a-f]\{32\}\).*/\1/p' | head -n1 || true; }
# active once spawn-fcgi runs; ecs-fcgi takes its lock after its first engine check
have_instance() { INSTANCE=$(instance); [ -n "$INSTANCE" ]; }
wait_for 30 have_instance || true
FIRST=$INSTANCE
if [ -n "$INSTANCE" ]; then ok "ecs-fcgi's instance: $INSTANCE"; else
	bad "no instance lock in /run/ecs/instances"
	in_m ls -la /run/ecs/instances >&2 || true
	in_m journalctl -u ecs-fcgi --no-pager -n 30 >&2 || true
fi

# api [CURL ARGS...]: a request to the packaged site, from inside the machine.
api() {
	in_m curl -sS --max-time 60 --resolve api.ecs.test:443:127.0.0.1 --cacert /etc/ecs-test-certs/ca.crt \
		--cert /etc/ecs-test-certs/client.crt --key /etc/ecs-test-certs/client.key "$@"
}
task_json() { printf '{"docker_image": "%s", "cmd": ["sh", "-c", "%s"], "network": "none"}' "$IMG" "$1"; }
out=$(api -w '\n%{http_code}' -H 'Content-Type: application/json' --data "$(task_json 'echo hello from systemd')" \
	https://api.ecs.test/v1.1/tasks || true)
if [ "$(tail -n1 <<<"$out")" = 201 ] && [ "$(head -n1 <<<"$out" | jq -r .stdout | base64 -d)" = "hello from systemd" ]; then
	ok "a task through the packaged nginx site: 201, its stdout"
else
	bad "task through nginx: $out"
fi

# The engine is the host's, in another mount namespace: it cannot see the
# machine's /run, so the warm pool's direct channels (agent/PROTOCOL.md)
# cannot be mounted. The pool must say so and fall back to the attach stream,
# and the engine must not have made the directory on its own host.
# One WARN line says it, with the engine's own reason in it.
fell_back() {
	in_m journalctl -u ecs-fcgi --no-pager |
		grep -q "level=warning.*pool .*: the engine refused the direct channel's mount (.*): this pool's containers use the attach stream for"
}
if wait_for 60 fell_back; then ok "the pool's direct channel: the engine cannot see it; attach instead, said with the engine's reason"; else
	bad "no word of the pool falling back to the attach stream"; in_m journalctl -u ecs-fcgi --no-pager -n 30 >&2 || true; fi
# A cold task's agent is offered a channel too: the engine refuses its mount,
# the task is made again without it, and the thread attaches for a while.
if [ "$(head -n1 <<<"$out" | jq -r .pooled)" = false ]; then
	cold_fell_back() {
		in_m journalctl -u ecs-fcgi --no-pager |
			grep -q "level=warning.*the engine refused the direct channel's mount (.*): cold tasks on this thread attach for"
	}
	if wait_for 10 cold_fell_back; then ok "a cold task's direct channel: refused by the engine; attached instead, said"; else
		bad "the first task ran cold without a word of its channel's fall-back"; fi
fi
if [ -n "$INSTANCE" ] && [ ! -e "/run/ecs/instances/$INSTANCE.chan" ]; then
	ok "the engine made no channel directory on its host"; else
	bad "the engine made /run/ecs/instances/$INSTANCE.chan on its host (or no instance)"; fi
# Offline without the engine's network sandbox: /etc/hosts is the packaged
# file beside the agent (the engine's own has an ip6-localnet line).
hosts=$(api -H 'Content-Type: application/json' --data "$(task_json 'grep -c ip6-localnet /etc/hosts; grep -c localhost /etc/hosts')" \
	https://api.ecs.test/v1.1/tasks | jq -r .stdout | base64 -d | tr '\n' ' ')
if [ "$hosts" = "0 2 " ]; then ok "a task without a network: the packaged hosts file, no engine sandbox"; else
	bad "a task without a network saw /etc/hosts counts '$hosts', not the packaged file's '0 2 '"; fi
out=$(api -H 'Content-Type: application/json' --data "$(task_json 'echo pooled')" https://api.ecs.test/v1.1/tasks)
if [ "$(jq -r .stdout <<<"$out" | base64 -d)" = pooled ]; then ok "a task after the fall-back: $(jq -c .pooled <<<"$out")"; else
	bad "a task after the fall-back: $out"; fi

# ---- restart with a task in flight -----------------------------------------------
api -w '\n%{http_code}' -H 'Content-Type: application/json' \
	--data "$(task_json 'sleep 3; echo survived')" https://api.ecs.test/v1.1/tasks >"$DIR/inflight.out" 2>&1 &
inflight=$!
in_flight() { [ "$(api https://api.ecs.test/v1.1/_metrics | sed -n 's/^ecs_tasks_in_flight \([0-9]*\)$/\1/p')" -ge 1 ]; }
wait_for 20 in_flight || bad "the task never showed in ecs_tasks_in_flight"
in_m systemctl restart ecs-fcgi || bad "systemctl restart ecs-fcgi failed"
wait "$inflight" || true
code=$(tail -n1 "$DIR/inflight.out")
body=$(head -n1 "$DIR/inflight.out")
if [ "$code" = 201 ] && [ "$(jq -r .stdout <<<"$body" | base64 -d)" = survived ]; then
	ok "restart with a task in flight: it finished (201, its stdout)"
elif jq -e '.status and .code and .message' <<<"$body" >/dev/null 2>&1; then
	ok "restart with a task in flight: refused with JSON ($code $(jq -r .code <<<"$body"): $(jq -r .message <<<"$body"))"
else
	bad "restart with a task in flight: lost ($code: $(head -c 300 "$DIR/inflight.out"))"
fi
a=$(in_m systemctl is-active ecs-fcgi || true)
if [ "$a" = active ]; then ok "ecs-fcgi active again after the restart"; else bad "ecs-fcgi after restart: $a"; fi
# systemd says active once spawn-fcgi runs; the new ecs-fcgi takes its
# instance lock a moment later (after its first engine check): wait for it.
new_instance() { INSTANCE=$(instance); [ -n "$INSTANCE" ] && [ "$INSTANCE" != "$FIRST" ]; }
wait_for 30 new_instance || bad "no new instance lock after the restart"

# ---- stop: nothing left ----------------------------------------------------------
api -o /dev/null -H 'Content-Type: application/json' --data "$(task_json true)" https://api.ecs.test/v1.1/tasks || true
in_m systemctl stop ecs-fcgi || bad "systemctl stop ecs-fcgi failed"
# (and none of the instance the restart stopped)
left=$(for i in $FIRST $INSTANCE; do "$DOCKER" ps -aq --filter label=ecs.managed=true --filter "label=ecs.instance=$i"; done)
if [ -n "$INSTANCE" ] && [ -z "$left" ]; then ok "systemctl stop ecs-fcgi: no container of instance $INSTANCE (nor $FIRST, before the restart) left"; else
	bad "systemctl stop left containers: $(tr '\n' ' ' <<<"$left")"; fi

# ---- purge -----------------------------------------------------------------------
in_m env DEBIAN_FRONTEND=noninteractive dpkg --purge ecs-fcgi >"$DIR/purge.log" 2>&1 || { bad "dpkg --purge ecs-fcgi"; cat "$DIR/purge.log" >&2; }
for what in "user ecs:getent passwd ecs" "group ecs:getent group ecs" "/etc/ecs:test -e /etc/ecs" \
	"the unit:test -e /lib/systemd/system/ecs-fcgi.service" \
	"the enablement:test -e /etc/systemd/system/multi-user.target.wants/ecs-fcgi.service" \
	"/usr/sbin/ecs-fcgi:test -e /usr/sbin/ecs-fcgi"; do
	if in_m sh -c "${what#*:}" >/dev/null 2>&1; then bad "purge left ${what%%:*}"; else ok "purge removed ${what%%:*}"; fi
done
u=$(in_m systemctl show -p LoadState --value ecs-fcgi 2>/dev/null || true)
if [ "$u" = not-found ]; then ok "systemd no longer knows ecs-fcgi.service"; else bad "ecs-fcgi.service LoadState after purge: $u"; fi

exit "$fail"
