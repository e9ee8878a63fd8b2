#!/bin/sh
# ecs-fcgi.log stays UTF-8 whatever bytes a client puts in its request: a
# path with 0xff (nginx passes it decoded from %ff) is logged as \xff, not
# raw (issue 22), and well-formed UTF-8 (é) is kept as it is.
. "$(dirname "$0")/lib.sh"
start_server
uri=$(printf '/v1.1/\377\376x\303\251')
req GET "$uri"
expect_status 404
wait_for 10 grep -qF 'status=404' "$T/server.log" || fail "no request line for the 404"
python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/server.log" ||
	fail "ecs-fcgi.log is not UTF-8: $(grep -a 'status=404' "$T/server.log")"
grep -qF "path=\"/v1.1/\\xff\\xfex$(printf '\303\251')\"" "$T/server.log" ||
	fail "the path is not logged as \\xNN escapes: $(grep -a 'status=404' "$T/server.log")"
pass
