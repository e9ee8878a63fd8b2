#!/bin/sh
# Render the API reference: docs/api/openapi.yaml -> docs/api/index.html, one
# self-contained page (inline CSS, no JavaScript, nothing loaded from a CDN).
#
#   docs/api/render.sh [--check]
#
# --check renders to a temporary file and fails when the committed
# index.html is not what the current openapi.yaml gives (so the rendered page
# cannot drift from the reference).
# Needs Debian's python3-yaml and python3-markdown.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

# Nothing the page loads may come from elsewhere: no scripts, style sheets,
# fonts, frames or images by URL (plain <a href> links are fine).
self_contained() {
	if grep -Eiq '<script|<link|<iframe|<img|@import|url\(|src=' "$1"; then
		echo "render.sh: $1 loads external resources:" >&2
		grep -Eion '<script[^>]*|<link[^>]*|<iframe[^>]*|<img[^>]*|@import[^;]*|url\([^)]*\)|src=[^ >]*' "$1" | head >&2
		return 1
	fi
}

if [ "${1:-}" = --check ]; then
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	"$py" "$here/render.py" "$here/openapi.yaml" "$tmp"
	self_contained "$tmp"
	if ! cmp -s "$tmp" "$here/index.html"; then
		echo "render.sh: docs/api/index.html is stale: run docs/api/render.sh and commit it" >&2
		exit 1
	fi
	echo "docs/api/index.html: current and self-contained"
	exit 0
fi
"$py" "$here/render.py" "$here/openapi.yaml" "$here/index.html"
self_contained "$here/index.html"
echo "wrote $here/index.html"
