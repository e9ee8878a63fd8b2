#!/bin/sh
# GET /v1.1/_health?quick=dave is a 400 error document.
. "$(dirname "$0")/lib.sh"
start_server
req GET '/v1.1/_health?quick=dave'
expect_error 400 BAD_QUERY_PARAMETER
pass
