#!/bin/sh
# GET /v1.1/_health: 200 green with no quick, quick=true and quick=false
# (the comprehensive check reaches the engine and agrees an API version).
. "$(dirname "$0")/lib.sh"
start_server
req GET /v1.1/_health
expect_status 200
expect_json .status green
req GET '/v1.1/_health?quick=true'
expect_status 200
expect_json .status green
req GET '/v1.1/_health?quick=false'
expect_status 200
expect_json .status green
expect_json .details.engine.connectivity green
expect_json .details.engine.apiVersion green
expect_json .links.self.href 'http://localhost/v1.1/_health?quick=false'
pass
