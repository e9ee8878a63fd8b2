#!/bin/bash
# The API reference, by Redocly CLI: lint docs/api/openapi.yaml with the
# recommended ruleset (docs/api/redocly.yaml) and build the page the docs host
# serves, BUILD/docs/api/index.html (next to a copy of openapi.yaml). The page
# is built, never committed.
#
#   scripts/api-docs.sh [install | lint | build [OUTDIR] | check]
#
#   install  `npm ci` of tools/redocly (pinned @redocly/cli, package-lock.json)
#            into BUILD/redocly; skipped when the lock there is the same
#   lint     redocly lint: fails on any error or warning
#   build    redocly build-docs into OUTDIR (default BUILD/docs/api), then
#            fails if the page loads anything from elsewhere (a CDN script,
#            a web font, a style sheet by URL)
#   check    (default) install, lint, build
#
# BUILD is $ECS_BUILD or the tree's build/. Needs node (>= 18.17: Debian 12's
# nodejs is 18.19) and npm; npm's registry only for install.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ECS_BUILD:-$ROOT/build}
TOOLS=$BUILD/redocly
REDOCLY=$TOOLS/node_modules/.bin/redocly
SPEC=$ROOT/docs/api/openapi.yaml
CONFIG=$ROOT/docs/api/redocly.yaml
# Redocly CLI reports usage to its vendor and checks for updates unless told
# not to: a test run talks to nobody.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

install() {
	mkdir -p "$TOOLS"
	if [ -x "$REDOCLY" ] && cmp -s "$ROOT/tools/redocly/package-lock.json" "$TOOLS/package-lock.json"; then
		return 0
	fi
	cp "$ROOT/tools/redocly/package.json" "$ROOT/tools/redocly/package-lock.json" "$TOOLS/"
	# --ignore-scripts: the only install script in the tree (core-js) prints
	# a banner; nothing needs building.
	(cd "$TOOLS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
	"$REDOCLY" --version
}

lint() {
	[ -x "$REDOCLY" ] || install
	"$REDOCLY" lint --config "$CONFIG" --max-problems 1000 "$SPEC"
	# lint exits 0 on warnings: the suite holds to none.
	if "$REDOCLY" lint --config "$CONFIG" --format summary "$SPEC" 2>&1 | grep -q 'warning'; then
		echo "api-docs.sh: redocly lint reported warnings" >&2
		return 1
	fi
}

# inline_bundle FILE: build-docs always writes a <script src> of Redoc's
# bundle on Redocly's CDN (the version of the redoc package it was built with;
# no option turns that off in 1.34): put that same file, from node_modules,
# into the page instead, so it loads nothing from elsewhere.
inline_bundle() {
	python3 - "$1" "$TOOLS/node_modules/redoc" <<'PY'
import json, sys
page, redoc = sys.argv[1], sys.argv[2]
version = json.load(open(redoc + "/package.json"))["version"]
tag = '<script src="https://cdn.redocly.com/redoc/v%s/bundles/redoc.standalone.js"></script>' % version
html = open(page, encoding="utf-8").read()
if html.count(tag) != 1:
    sys.exit("api-docs.sh: %s: expected one %s" % (page, tag))
js = open(redoc + "/bundles/redoc.standalone.js", encoding="utf-8").read()
if "</script" in js.lower():
    sys.exit("api-docs.sh: the Redoc bundle contains </script: it cannot be inlined")
html = html.replace(tag, "<script>" + js + "</script>")
open(page, "w", encoding="utf-8").write(html)
PY
}

# self_contained FILE: nothing the page loads comes from elsewhere: no script,
# style sheet, font, frame, image or object by URL, no @import or url() to
# another host in its styles (plain <a href> links are fine). Script bodies
# are code, not markup, and are not searched.
self_contained() {
	python3 - "$1" <<'PY'
import re, sys
from html.parser import HTMLParser
LOADS = {"script": "src", "img": "src", "iframe": "src", "frame": "src", "embed": "src",
         "source": "src", "audio": "src", "video": "src", "object": "data", "link": "href"}
class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found, self.tag = [], None
    def handle_starttag(self, tag, attrs):
        self.tag = tag
        attrs = dict(attrs)
        if tag in LOADS and attrs.get(LOADS[tag]):
            self.found.append("<%s %s=%s>" % (tag, LOADS[tag], attrs[LOADS[tag]]))
        style = attrs.get("style") or ""
        self.found += re.findall(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", style)
    def handle_data(self, data):
        if self.tag == "style":
            self.found += re.findall(r"@import[^;]*|url\(\s*['\"]?(?:https?:)?//[^)]*\)", data)
p = Page()
html = open(sys.argv[1], encoding="utf-8").read()
p.feed(html)
# Redoc's side menu fetches its logo from Redocly's CDN at run time (in the
# bundle, not in the markup): the template's policy must forbid that.
if not re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\';', html):
    p.found.append("no Content-Security-Policy default-src 'none' (docs/api/template.hbs)")
if p.found:
    print("api-docs.sh: %s loads external resources:" % sys.argv[1], file=sys.stderr)
    for f in p.found[:10]:
        print("    " + f[:200], file=sys.stderr)
    sys.exit(1)
PY
}

build() {
	local out=${1:-$BUILD/docs/api}
	[ -x "$REDOCLY" ] || install
	mkdir -p "$out"
	"$REDOCLY" build-docs --config "$CONFIG" --template "$ROOT/docs/api/template.hbs" --disableGoogleFont --output "$out/index.html.tmp" "$SPEC"
	inline_bundle "$out/index.html.tmp"
	self_contained "$out/index.html.tmp"
	mv "$out/index.html.tmp" "$out/index.html"
	cp "$SPEC" "$out/openapi.yaml"
	echo "api-docs.sh: $out/index.html built, self-contained"
}

case ${1:-check} in
install) install ;;
lint) lint ;;
build) build "${2:-}" ;;
check) install; lint; build ;;
-h | --help) sed -n '2,20p' "$0" ;;
*) echo "usage: scripts/api-docs.sh [install | lint | build [OUTDIR] | check]" >&2; exit 2 ;;
esac
