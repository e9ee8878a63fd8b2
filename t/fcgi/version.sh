#!/bin/sh
# GET /v1.1/_version: the version and, as self href, the URL that was requested.
. "$(dirname "$0")/lib.sh"
start_server
req GET /v1.1/_version "" HTTPS=on HTTP_HOST=ecs.example.com:8443
expect_status 200
version=$("$ECS_FCGI" --version | sed -n 's/^ecs-fcgi \([^ ]*\).*/\1/p')
expect_json .version "$version"
expect_json .links.self.href https://ecs.example.com:8443/v1.1/_version
req GET /v1.1/_version/ "" HTTP_HOST=h
expect_json .links.self.href http://h/v1.1/_version/
pass
