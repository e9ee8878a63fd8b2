#!/bin/sh
# GET /v1.1/_noop answers 200 with a link to itself.
. "$(dirname "$0")/lib.sh"
start_server
req GET /v1.1/_noop
expect_status 200
expect_header Content-Type 'application/json; charset=utf-8'
expect_json .links.self.href http://localhost/v1.1/_noop
pass
