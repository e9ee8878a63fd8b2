#!/bin/sh
# Two stacks on one engine, each with its own instance_dir (what
# scripts/stack.sh and write_config give every stack and test): stack A is
# killed -9 mid-task; stack B's start-up sweep must leave A's orphan alone
# (A's lock is not in B's directory: unknown, not dead), and A's successor,
# in A's directory, removes it at once. Without this, one tree's responder
# swept another tree's containers while that tree's test was still looking.
. "$(dirname "$0")/lib.sh"
sweeps_ended() { [ "$(grep -c 'start-up sweep' "$T/server.log")" -ge "$1" ]; }

write_config "instance_dir = $T/a" "sweep_min_age = 3600"
start_server
orphan_task "$T/a"

# Stack B: its own directory; its start-up sweep is over once it says so.
write_config "instance_dir = $T/b" "sweep_min_age = 3600"
start_server
wait_for 10 sweeps_ended 2 || fail "B's start-up sweep never ended: $(grep sweep "$T/server.log")"
[ "$(docker_api "/containers/$ORPHAN/json" | jq -r .State.Running)" = true ] ||
	fail "stack B removed stack A's container $ORPHAN (B's sweep: $(grep sweep "$T/server.log" | tail -1))"
[ ! -e "$T/b/$ORPHAN_INSTANCE.lock" ] || fail "A's lock file is in B's directory"
stop_server

# A's successor, in A's directory, finds A dead and removes its orphan.
write_config "instance_dir = $T/a" "sweep_min_age = 3600"
start_server
wait_for 10 container_gone "$ORPHAN" || fail "A's successor left the dead instance's container $ORPHAN"
grep -q 'its instance is dead' "$T/server.log" || fail "no sweep line: $(grep sweep "$T/server.log")"
pass
