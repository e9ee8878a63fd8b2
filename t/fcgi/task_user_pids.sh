#!/bin/sh
# Statuses that broke the contract (issue 22), answered alike cold and
# pooled (ECS_TEST_POOL=1 runs the same script through a warm pool):
#  - a user name the image lacks: 400 USER_NOT_FOUND (was 502 ENGINE_ERROR);
#    its warm container cannot start either, so a pooled task runs cold
#  - a uid or gid over 2147483647: 400 at parse (was the engine's 502)
#  - limits.pids 1: 400 naming the minimum (was cold 201 exit 1, pooled 502)
#  - pids 2 (the [ecs] cap here, so the pool's key has it): the task runs,
#    pooled when the pool is on
. "$(dirname "$0")/lib.sh"
write_config "max_pids = 2"
start_server

unpooled post_task "$(task_json true | jq -c '. + {user: "nosuchuser"}')"
expect_error 400 USER_NOT_FOUND
jbody .message | grep -q "nosuchuser" || fail "the message does not name the user: $(cat "$BODY")"
unpooled post_task "$(task_json true | jq -c '. + {user: "0:nosuchgroup"}')"
expect_error 400 USER_NOT_FOUND

for u in 4294967295 99999999999 0:2147483648; do
	unpooled post_task "$(task_json true | jq -c --arg u "$u" '. + {user: $u}')"
	expect_error 400 BAD_REQUEST_BODY
	jbody .message | grep -q "0..2147483647" || fail "user $u: the message does not give the range: $(cat "$BODY")"
done

unpooled post_task "$(task_json true | jq -c '. + {limits: {pids: 1}}')"
expect_error 400 BAD_REQUEST_BODY
jbody .message | grep -q "at least 2" || fail "the message does not give the minimum: $(cat "$BODY")"

# No limits asked: the cap of 2 applies, the pool's key when pooled.
post_task "$(task_json sh -c 'echo two')"
expect_status 201
expect_json .exitCode 0
expect_json .stdout "$(printf 'two\n' | base64)"
pass
