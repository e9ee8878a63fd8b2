#!/bin/sh
# ecs-fcgi killed -9 mid-task leaves a running container behind; the next
# ecs-fcgi on the host finds its instance's lock unheld and removes it at
# once, long before its deadline and whatever sweep_min_age says.
. "$(dirname "$0")/lib.sh"
write_config "instance_dir = $T/instances" "sweep_min_age = 3600"
start_server
orphan_task "$T/instances"
start_server
wait_for 10 container_gone "$ORPHAN" || fail "the dead instance's container $ORPHAN is still there"
grep -q 'its instance is dead' "$T/server.log" || fail "no sweep line: $(grep sweep "$T/server.log")"
pass
