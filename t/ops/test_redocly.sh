#!/bin/bash
# The API reference through Redocly CLI (the redocly phase): the pinned
# @redocly/cli installed from tools/redocly's lock (npm ci), `redocly lint`
# with the recommended ruleset clean on docs/api/openapi.yaml, the page built
# into build/docs/api/index.html and loading nothing from elsewhere. And the
# lint is a real gate: the same spec with one flow-mapping description that
# YAML splits at its comma (the mistake lint found in Timings) must fail it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /tmp/ecs-redocly.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

command -v npm >/dev/null || { echo "test_redocly: no npm (the bootstrap installs Debian's nodejs and npm)" >&2; exit 1; }
"$ROOT/scripts/api-docs.sh" check

REDOCLY=${ECS_BUILD:-$ROOT/build}/redocly/node_modules/.bin/redocly
sed 's/^\(        run: {type: number, minimum: 0, description: \)"\(.*\)"}$/\1\2}/' \
	"$ROOT/docs/api/openapi.yaml" >"$TMP/openapi.yaml"
if cmp -s "$ROOT/docs/api/openapi.yaml" "$TMP/openapi.yaml"; then
	echo "test_redocly: could not plant the mistake (Timings.run changed?)" >&2
	exit 1
fi
if "$REDOCLY" lint --config "$ROOT/docs/api/redocly.yaml" "$TMP/openapi.yaml" >"$TMP/lint.out" 2>&1; then
	echo "test_redocly: redocly lint passed a spec with a split description" >&2
	exit 1
fi
grep -q 'struct' "$TMP/lint.out" || { cat "$TMP/lint.out" >&2; exit 1; }
echo "test_redocly: lint clean, page built and self-contained, a planted mistake caught"
