#!/bin/sh
# HEAD answers wherever GET does, as GET does, without a body (RFC 9110
# 9.3.2; CGI, RFC 3875 4.3.3: a responder sends no body to HEAD): the same
# status, content type and Content-Length. A balancer that probes with HEAD
# must see what a GET sees. HEAD where GET is not allowed (POST /tasks) is a
# 405 naming the methods; GET endpoints name "GET, HEAD" in Allow.
. "$(dirname "$0")/lib.sh"
start_server
header() { sed -n "s/^$1: //Ip" "$HEADERS" | head -n 1; }
for uri in /v1.1/_health '/v1.1/_health?quick=true' '/v1.1/_health?quick=false' /v1.1/_version /v1.1/_noop/ \
	/v1.1/_metrics; do
	req GET "$uri"
	get_status=$STATUS get_type=$(header Content-Type) get_len=$(header Content-Length)
	[ "$get_status" = 200 ] || fail "GET $uri: $get_status $(cat "$BODY")"
	req HEAD "$uri"
	[ "$STATUS" = "$get_status" ] || fail "HEAD $uri: $STATUS, GET: $get_status"
	[ ! -s "$BODY" ] || fail "HEAD $uri has a body: $(head -c 200 "$BODY")"
	[ "$(header Content-Type)" = "$get_type" ] || fail "HEAD $uri: Content-Type '$(header Content-Type)', GET: '$get_type'"
	# _metrics changes between two requests (the GET was counted): its length too.
	# The health documents carry the engine check's count and age (checks,
	# lastCheckAgeSeconds), which a check between the GET and the HEAD
	# changes by a digit or two (9 -> 10, 9.9 -> 0.1).
	case $uri in
	*_metrics) [ "$(header Content-Length)" -gt 0 ] || fail "HEAD $uri: Content-Length '$(header Content-Length)'" ;;
	*_health*) d=$(($(header Content-Length) - get_len))
		[ "${d#-}" -le 3 ] ||
			fail "HEAD $uri: Content-Length '$(header Content-Length)', the GET's: '$get_len'" ;;
	*) [ "$(header Content-Length)" = "$get_len" ] ||
		fail "HEAD $uri: Content-Length '$(header Content-Length)', the GET's: '$get_len'" ;;
	esac
done
# The 400 of a bad quick= holds for HEAD too, without the document.
req HEAD '/v1.1/_health?quick=maybe'
expect_status 400
[ ! -s "$BODY" ] || fail "HEAD's 400 has a body"
# (HEAD /v1.1/tasks is a listing's since issue 18: a POST-only path instead)
req HEAD /v1.1/sessions/abc/exec
expect_status 405
expect_header Allow POST
[ ! -s "$BODY" ] || fail "HEAD's 405 has a body"
req OPTIONS /v1.1/_health
expect_error 405 METHOD_NOT_ALLOWED
expect_header Allow 'GET, HEAD'
req HEAD /v1.1/nothing-here
expect_status 404
pass
