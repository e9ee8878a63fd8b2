#!/bin/bash
# Safe by default (issue 8): a task that asks for nothing, through the
# deployment's front door with its configuration (the demo stack runs the
# packaged ecs.conf), is confined. Each check runs inside the task and
# reports what it saw; each would pass on an unconfined container too if we
# only looked at the exit status, so the task prints what it measured.
#  - capabilities: CapEff and CapBnd are 0; no new privileges; seccomp on
#  - PID 1 is an init (docker-init, or ecs-agent in a pooled container), not the task
#  - network: only a loopback interface; localhost in /etc/hosts, no resolver of the host's
#  - read-only root; /tmp writable and bounded (64 MiB); /dev and /dev/shm
#    the engine's own tmpfs, writable and bounded (64 MiB each), as documented
#  - a fork flood stops at the pids limit (256); the host is untouched
#  - memory: 512 MiB and no swap, a task over it is OOM-killed
#  - open files: 1024
#  - a request can narrow (pids 16, a user) and cannot widen (pids above the cap,
#    a runtime not allowed) the sandbox; "runtime": "runsc" runs on gVisor
#    when the engine has it.
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2016 # the scripts run inside the task, not here

# run_sh SCRIPT [EXTRA_JSON]: run `sh -c SCRIPT` asking for nothing else
# (or for EXTRA_JSON merged into the body); stdout decoded into $OUT.
run_sh() {
    api /v1.1/tasks -H 'Content-Type: application/json' \
        --data "$(jq -cn --arg i "$ECS_TEST_IMAGE" --arg s "$1" --argjson x "${2:-{\}}" \
            '{docker_image: $i, cmd: ["sh", "-c", $s]} + $x')"
    OUT=$(jbody .stdout | base64 -d 2>/dev/null)
    ERR=$(jbody .stderr | base64 -d 2>/dev/null)
}
saw() { # saw DESCRIPTION WANT: the last task printed exactly WANT
    if [ "$STATUS" = 201 ] && [ "$OUT" = "$2" ]; then
        ok "$1"
    else
        not_ok "$1: want '$2', the task printed '$OUT' (HTTP $STATUS, stderr '$ERR')"
    fi
}

run_sh 'grep -E "^(CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t " " "'
saw "no capabilities, no new privileges, seccomp filtering" \
    "$(printf 'CapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nNoNewPrivs: 1\nSeccomp: 2')"

run_sh 'tr "\0" " " </proc/1/cmdline; echo; echo $$'
pid1=$(head -n1 <<<"$OUT")
case $pid1 in
*init* | *tini* | */.ecs/agent* | *ecs-agent*) ok "PID 1 is an init ($pid1)" ;;  # ecs-agent: a pooled task's (issue 9)
*) not_ok "PID 1 is '$pid1', not an init (the task's sh is pid $(tail -n1 <<<"$OUT"))" ;;
esac

run_sh 'ls /sys/class/net | tr "\n" " "'
saw "the only network interface is loopback" "lo "

# Offline without the engine's network sandbox (lib/container.c): ecs's
# hosts file, so localhost resolves, and none of the host's resolvers.
run_sh 'awk "\$2 == \"localhost\" { print \$1 }" /etc/hosts | tr "\n" " "; n=$(grep -s -c nameserver /etc/resolv.conf); echo ${n:-0}'
saw "localhost is in /etc/hosts, and the host's resolvers are not in /etc/resolv.conf" "$(printf '127.0.0.1 ::1 0')"

run_sh 'touch /ecs-rootfs-probe 2>/dev/null && echo writable || echo read-only; touch /tmp/x && echo tmp-ok'
saw "the root filesystem is read-only and /tmp writable" "$(printf 'read-only\ntmp-ok')"

run_sh 'df -k /tmp | awk "NR == 2 { print \$2 }"; head -c 70000000 /dev/zero >/tmp/fill 2>/dev/null && echo unbounded || echo full'
saw "/tmp is a 64 MiB tmpfs, and filling past it fails" "$(printf '65536\nfull')"

# The engine mounts /dev and /dev/shm as tmpfs of 64 MiB each (not ours to
# size: ShmSize's default); operations.md and the API reference say so.
run_sh 'for d in /dev /dev/shm; do df -k $d | awk "NR == 2 { print \$2 }"; head -c 70000000 /dev/zero >$d/fill 2>/dev/null && echo unbounded || echo full; done'
saw "/dev and /dev/shm are 64 MiB tmpfs each, and filling past them fails" "$(printf '65536\nfull\n65536\nfull')"

run_sh 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max'
saw "pids.max is 256" 256
# A bounded flood: 300 sleepers asked for. The subshell dies at the first
# fork refused; the count and the kill are shell builtins, which need none.
run_sh '( n=0; while [ $n -lt 300 ]; do sleep 30 & n=$((n + 1)); done ) 2>/dev/null
        set -- /proc/[0-9]*; n=$#; kill -9 -1 2>/dev/null
        if [ $n -gt 200 ] && [ $n -le 256 ]; then echo bounded; else echo "$n processes"; fi' '{"timeout": 30}'
saw "a fork flood stops at the pids limit" bounded

run_sh 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
saw "memory is 512 MiB" 536870912
run_sh 'cat /sys/fs/cgroup/memory.swap.max 2>/dev/null ||
        cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo no-swap-accounting'
case $OUT in
0 | 536870912) ok "no swap (memory+swap is the memory limit: $OUT)" ;;
no-swap-accounting) skip "the kernel accounts no swap here (memsw): swap not checked" ;;
*) not_ok "swap limit '$OUT' (HTTP $STATUS)" ;;
esac
# Over the limit: the kernel kills it, and the answer says so.
run_sh 'x=$(head -c 700000000 /dev/zero | tr "\0" x); echo survived' '{"timeout": 60}'
if [ "$STATUS" = 201 ] && [ "$(jbody .oomKilled)" = true ] && [ "$OUT" != survived ]; then
    ok "a task over 512 MiB is OOM-killed and the answer says so (exit $(jbody .exitCode))"
else
    not_ok "OOM: HTTP $STATUS, oomKilled $(jbody .oomKilled), exit $(jbody .exitCode), printed '$OUT'"
fi

run_sh 'ulimit -n; ulimit -Hn'
saw "open files are limited to 1024" "$(printf '1024\n1024')"

run_sh 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"'
quota=${OUT% *} period=${OUT#* }
if [ "$STATUS" = 201 ] && [ -n "$quota" ] && [ "$quota" != max ] && [ "$quota" = "$period" ]; then
    ok "one CPU ($OUT)"
else
    not_ok "cpu quota: '$OUT' (HTTP $STATUS)"
fi

# A request narrows the sandbox...
run_sh 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max' '{"limits": {"pids": 16}}'
saw "a request may lower the pids limit (16)" 16
run_sh 'id -u; id -g' '{"user": "65534:65534"}'
saw "a request may name the user it runs as (65534:65534)" "$(printf '65534\n65534')"
# ... and cannot widen it.
run_sh true '{"limits": {"pids": 100000}}'
check "a request above the pids cap: 400" expect_error 400 BAD_REQUEST_BODY
run_sh true '{"runtime": "kata-not-allowed"}'
check "a runtime the operator does not allow: 403 RUNTIME_NOT_ALLOWED" expect_error 403 RUNTIME_NOT_ALLOWED

# gVisor, one property away, where the engine has it.
if e2e_has_engine && docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; then
    run_sh 'dmesg 2>&1 | grep -q "Starting gVisor" && echo gvisor || uname -v' '{"runtime": "runsc"}'
    saw '"runtime": "runsc" runs the task under gVisor' gvisor
else
    skip "the engine has no runsc runtime: gVisor not checked"
fi

finish
