#!/usr/bin/env python3
"""corpus_replay.py CORPUS - replay odd requests through nginx, one per line.

Each line:  STATUS  EXPECT  OPTIONS  REQUEST
  STATUS   the HTTP status wanted
  EXPECT   CODE (the ecs error document with that code), exit=N (a task
           result with that exitCode), location=URL (the Location header),
           self (an absolute links.self.href), or - (the status alone)
  OPTIONS  - or a comma list: nocert (no client certificate), noauth (no
           BASIC credentials), sni=docs (the docs host name in the TLS
           handshake), plain (plain HTTP to the HTTPS port), redirect (the
           plain-HTTP redirect listener), health (the health listener)
  REQUEST  METHOD TARGET [BODY] (a request with Host, credentials,
           Connection: close and, with a BODY, a JSON Content-Type and its
           Content-Length), or RAW TEXT (the bytes as they are)
In TARGET, BODY and TEXT: \\r \\n \\t \\\\ \\xHH escapes, {N*c} for c repeated
N times, {host} {image} {auth} (an Authorization header line and CRLF, or
nothing), {api_host} {docs_host} {port} (":PORT" of the HTTPS endpoint, or
nothing for 443). Blank lines and lines starting with # are skipped.

Every response with a status of 400 or more must be the ecs error document:
JSON content type, strict UTF-8 JSON (strict_json.py), exactly status, code,
message, requestId. A 429 is retried (the suites share the rate limits).
Prints "ok - ..." or "FAIL - ..." per case and exits 1 on any failure.
Environment: what t/e2e/lib.sh reads (ECS_ENDPOINT, ECS_CA_CERT, ...).
"""
import base64
import os
import re
import socket
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from strict_json import strict_loads  # noqa: E402

env = os.environ.get
endpoint = urllib.parse.urlsplit(env("ECS_ENDPOINT"))
HOST, PORT = endpoint.hostname, endpoint.port or 443
API_HOST = env("ECS_API_HOST") or HOST
DOCS_HOST = env("ECS_DOCS_HOST") or ""
IMAGE = env("ECS_TEST_IMAGE") or "ecs/busybox:latest"


def listener(var):
    u = env(var) or ""
    if not u:
        return None
    u = urllib.parse.urlsplit(u)
    return (u.hostname, u.port or 80)


REDIRECT, HEALTH = listener("ECS_REDIRECT_URL"), listener("ECS_HEALTH_URL")
AUTH = ""
if env("ECS_KEY"):
    AUTH = "Authorization: Basic %s\r\n" % base64.b64encode(
        ("%s:%s" % (env("ECS_KEY"), env("ECS_SECRET", ""))).encode()).decode()


def expand(text, auth):
    text = re.sub(r"\{(\d+)\*(.)\}", lambda m: m.group(2) * int(m.group(1)), text)
    for k, v in (("{host}", API_HOST), ("{image}", IMAGE), ("{auth}", auth), ("{api_host}", API_HOST),
                 ("{docs_host}", DOCS_HOST), ("{port}", "" if PORT == 443 else ":%d" % PORT)):
        text = text.replace(k, v)
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    esc = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"\\": b"\\"}
    while i < len(raw):
        c = raw[i:i + 1]
        if c == b"\\" and raw[i + 1:i + 2] in esc:
            out += esc[raw[i + 1:i + 2]]
            i += 2
        elif c == b"\\" and raw[i + 1:i + 2] == b"x":
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        else:
            out += c
            i += 1
    return bytes(out)


def build(opts, kind, rest):
    auth = "" if "noauth" in opts else AUTH
    if kind == "RAW":
        return expand(rest, auth)
    target, _, body = rest.partition(" ")
    head = "%s %s HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n" % (kind, target)
    head = expand(head, auth)
    if body:
        b = expand(body, auth)
        head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(b) + b
        return head
    return head + b"\r\n"


def exchange(opts, data):
    if "redirect" in opts:
        addr, tls = REDIRECT, False
    elif "health" in opts:
        addr, tls = HEALTH, False
    else:
        addr, tls = (HOST, PORT), "plain" not in opts
    s = socket.create_connection(addr, timeout=30)
    if tls:
        ctx = ssl.create_default_context(cafile=env("ECS_CA_CERT"))
        ctx.check_hostname = False
        if "nocert" not in opts:
            ctx.load_cert_chain(env("ECS_CLIENT_CERT"), env("ECS_CLIENT_KEY"))
        sni = DOCS_HOST if "sni=docs" in opts else API_HOST
        s = ctx.wrap_socket(s, server_hostname=sni)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not b:
                break
            out += b
            h, sep, body = out.partition(b"\r\n\r\n")
            m = re.search(rb"(?im)^content-length: *(\d+)", h)
            if sep and m and len(body) >= int(m.group(1)):
                break
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
    if not m:
        raise ValueError("no status line in %r" % out[:200])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    return int(m.group(1)), headers, body


def check(status, expect, got, headers, body):
    if got != status:
        return "status %d, want %d: %r" % (got, status, body[:200])
    if got >= 400:
        if not headers.get("content-type", "").startswith("application/json"):
            return "Content-Type %r, not JSON" % headers.get("content-type")
        try:
            doc = strict_loads(body)
        except ValueError as e:
            return "body is not strict UTF-8 JSON (%s): %r" % (e, body[:200])
        if not isinstance(doc, dict) or sorted(doc) != ["code", "message", "requestId", "status"]:
            return "not the four-field error document: %r" % body[:200]
        if doc["status"] != got or not isinstance(doc["message"], str) or not doc["requestId"]:
            return "bad error document: %r" % body[:200]
        rid = headers.get("x-request-id")
        if rid and rid != doc["requestId"]:
            return "requestId %s differs from X-Request-Id %s" % (doc["requestId"], rid)
        if expect != "-" and doc["code"] != expect:
            return "code %s, want %s: %r" % (doc["code"], expect, body[:200])
    elif expect.startswith("exit="):
        doc = strict_loads(body)
        if doc.get("exitCode") != int(expect[5:]):
            return "exitCode %r, want %s" % (doc.get("exitCode"), expect[5:])
    elif expect == "self":
        href = strict_loads(body).get("links", {}).get("self", {}).get("href", "")
        if not href.startswith("https://"):
            return "the self link is not absolute: %r" % href[:100]
    elif expect.startswith("location="):
        want = expand(expect[9:], "").decode()
        if headers.get("location") != want:
            return "Location %r, want %r" % (headers.get("location"), want)
    return None


def main(path):
    failed = 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(None, 4)
        if len(parts) < 5:
            print("FAIL - line %d: not STATUS EXPECT OPTIONS REQUEST: %s" % (no, line))
            failed += 1
            continue
        status, expect, opts, kind, rest = int(parts[0]), parts[1], parts[2].split(","), parts[3], parts[4]
        name = "line %d: %s" % (no, line if len(line) < 110 else line[:107] + "...")
        if ("redirect" in opts and not REDIRECT) or ("health" in opts and not HEALTH) or \
                ("sni=docs" in opts and not DOCS_HOST):
            print("skip - %s (no such listener here)" % name)
            continue
        why = None
        for _ in range(40):
            try:
                got, headers, body = exchange(opts, build(opts, kind, rest))
            except (OSError, ValueError) as e:
                why = "no answer: %s" % e
                break
            if got != 429 or status == 429:
                why = check(status, expect, got, headers, body)
                break
            time.sleep(0.3)
        else:
            why = "still 429 after 40 tries"
        if why:
            failed += 1
            print("FAIL - %s\n    %s" % (name, why))
        else:
            print("ok - %s" % name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
