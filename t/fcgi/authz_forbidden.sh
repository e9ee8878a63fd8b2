#!/bin/sh
# A client may run only the images its [client] section names: others are 403.
. "$(dirname "$0")/lib.sh"
write_config "auth = client-cert" "" '[client "CN=alice,O=Example"]' "images = ecs/busybox:*" \
	"max_timeout = 30" "" '[client "CN=bob,O=Example"]' "images = other/*"
start_server
alice="SSL_CLIENT_VERIFY=SUCCESS"
post_task '{"docker_image": "other/tool:1", "cmd": ["true"], "network": "none"}' $alice "SSL_CLIENT_S_DN=CN=alice,O=Example"
expect_error 403 FORBIDDEN
post_task "$(task_json true)" $alice "SSL_CLIENT_S_DN=CN=carol,O=Example"
expect_error 403 FORBIDDEN
post_task '{"docker_image": "ecs/busybox:latest", "cmd": ["true"], "network": "none", "timeout": 60}' $alice "SSL_CLIENT_S_DN=CN=alice,O=Example"
expect_error 403 FORBIDDEN
post_task "$(task_json echo ok)" $alice "SSL_CLIENT_S_DN=CN=alice,O=Example"
expect_status 201
pass
