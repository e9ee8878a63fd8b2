#!/bin/bash
# Debian's testssl.sh against the endpoint (this machine only): no HIGH or
# CRITICAL finding. The demo's private CA is added to testssl's trust store
# (--add-ca). Accepted by default: cert_revocation — a private demo CA
# publishes no CRL distribution point or OCSP URL for the server certificate
# (nginx does check client certificates against the CRL); set
# ECS_TESTSSL_ACCEPT="" against a publicly issued certificate.
. "$(dirname "$0")/lib.sh"

if ! e2e_loopback; then
    skip "endpoint not on this machine: testssl.sh not run"
    finish
fi
if ! command -v testssl >/dev/null; then
    not_ok "testssl.sh is not installed (Debian package testssl.sh)"
    finish
fi
accept=${ECS_TESTSSL_ACCEPT-cert_revocation}

# Every check of testssl's default run that can report HIGH or CRITICAL:
# protocols (-p), cipher categories (-s), the server's preferences (-P),
# forward secrecy (-f), certificate and defaults (-S), headers (-h), every
# vulnerability (-U) and RC4 (-4). Left out are the two that only ever
# report INFO and take most of its time: each cipher one by one (-e) and
# the client simulations (-c). --fast skips the slowest checks.
timeout 300 testssl --quiet --color 0 --warnings batch --fast --ip one \
    -p -s -P -f -S -h -U -4 \
    --add-ca "$ECS_CA_CERT" --jsonfile "$E2E_TMP/testssl.json" \
    "$E2E_HOSTPORT" >"$E2E_TMP/testssl.txt" 2>&1
rc=$?
check "testssl.sh ran (exit $rc) and wrote its findings" test -s "$E2E_TMP/testssl.json"
# A scan cut short (the timeout above, or testssl's own) still writes its
# JSON, with scanTime "Scan interrupted": no HIGH finding in half a scan
# proves nothing, so it fails here.
scan_finished() {
    [ "$rc" != 124 ] &&
        ! jq -e '.[] | select(.id == "scanTime" and (.finding | test("interrupt"; "i")))' "$E2E_TMP/testssl.json" >/dev/null
}
check "testssl.sh finished its scan (not interrupted, not timed out)" scan_finished

jq -r '.[] | select(.severity == "HIGH" or .severity == "CRITICAL") | "\(.id)\t\(.severity)\t\(.finding)"' \
    "$E2E_TMP/testssl.json" >"$E2E_TMP/bad" 2>/dev/null || true
while IFS=$'\t' read -r id sev finding; do
    if [[ " $accept " == *" $id "* ]]; then
        say "accepted: $sev $id: $finding"
    else
        not_ok "testssl.sh $sev $id: $finding"
    fi
done <"$E2E_TMP/bad"
check "no HIGH or CRITICAL finding (accepted: ${accept:-none})" \
    bash -c '! cut -f1 "$1" | grep -vxF -f <(tr " " "\n" <<<"$2" | grep .) | grep -q .' _ "$E2E_TMP/bad" "$accept"

say "summary (MEDIUM and above, and the protocol and cipher verdicts):"
jq -r '.[] | select(.severity == "MEDIUM" or .severity == "HIGH" or .severity == "CRITICAL"
        or (.id | test("^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3|cipherlist_.*|FS|HSTS|overall_grade)$")))
        | "  \(.severity)\t\(.id)\t\(.finding)"' "$E2E_TMP/testssl.json" 2>/dev/null

finish
