#!/bin/sh
# GET /v1.1/_health?quick=false lists the engine's runtimes exactly as the
# engine's own GET /info does, with its default, and the document conforms to
# docs/api/openapi.yaml.
. "$(dirname "$0")/lib.sh"
SPEC_CHECK=$(dirname "$0")/../lib/openapi_validate.py
start_server
req GET '/v1.1/_health?quick=false'
expect_status 200
expect_json .status green
expect_json .details.engine.status green
want=$(docker_api /info | jq -c '.Runtimes | keys | sort')
expect_json '.details.engine.runtimes | tojson' "$want"
expect_json .details.engine.defaultRuntime "$(docker_api /info | jq -r .DefaultRuntime)"
expect_json '.details.engine.runtimes | index("runc") != null' true
expect_json .details.runtimes.status green
python3 "$SPEC_CHECK" GET '/v1.1/_health?quick=false' 200 < "$BODY" || fail "does not conform to openapi.yaml"
pass
