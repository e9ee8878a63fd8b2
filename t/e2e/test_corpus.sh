#!/bin/bash
# Replays t/e2e/corpus.txt (odd requests, one a line, each with the status
# and error code it must answer) through nginx with t/e2e/corpus_replay.py:
# raw requests over TLS with the client certificate, every error body decoded
# as strict UTF-8 JSON. A new case is one line in corpus.txt.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { skip "no python3"; finish; }
export ECS_ENDPOINT ECS_CA_CERT ECS_CLIENT_CERT ECS_CLIENT_KEY ECS_KEY ECS_SECRET ECS_API_HOST \
    ECS_DOCS_HOST ECS_REDIRECT_URL ECS_HEALTH_URL ECS_TEST_IMAGE
python3 "$E2E_REPO/t/e2e/corpus_replay.py" "$E2E_REPO/t/e2e/corpus.txt" >"$E2E_TMP/replay.out" 2>&1
rc=$?
sed "s/^/$E2E_NAME: /" "$E2E_TMP/replay.out"
TEST_PASSED=$(grep -c '^ok - ' "$E2E_TMP/replay.out")
TEST_FAILED=$(grep -c '^FAIL - ' "$E2E_TMP/replay.out")
TEST_SKIPPED=$(grep -c '^skip - ' "$E2E_TMP/replay.out")
if [ $rc -ne 0 ] && [ "$TEST_FAILED" -eq 0 ]; then
    not_ok "the replay itself failed (exit $rc)"
fi
check "the corpus has cases" [ "$TEST_PASSED" -gt 40 ]
finish
