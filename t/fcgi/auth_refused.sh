#!/bin/sh
# With auth = client-cert, every endpoint (health too) refuses a request
# without SSL_CLIENT_VERIFY=SUCCESS; with basic, without REMOTE_USER.
. "$(dirname "$0")/lib.sh"
write_config "auth = client-cert"
start_server
for path in /v1.1/_health /v1.1/_noop /v1.1/_version /v1.1/_metrics; do
	req GET $path
	expect_error 401 UNAUTHENTICATED
done
req GET /v1.1/_health "" SSL_CLIENT_VERIFY=FAILED:expired SSL_CLIENT_S_DN=CN=mallory
expect_error 401 UNAUTHENTICATED
post_task "$(task_json true)"
expect_error 401 UNAUTHENTICATED
req GET /v1.1/_health "" SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=alice
expect_status 200
pass
