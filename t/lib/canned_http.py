#!/usr/bin/env python3
"""canned_http.py PORT STATUS TYPE BODYFILE: answer one HTTP request on
127.0.0.1:PORT with STATUS, Content-Type TYPE and the bytes of BODYFILE
(no Content-Length: the body ends when the connection closes), then exit.
PORT.ready (in the current directory) appears once the socket listens.
For tests of a client against answers no real service gives on demand
(a cut stream, a malformed line, a hostile artifact name)."""
import socket
import sys

port, status, ctype, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(1)
open("%d.ready" % port, "w").close()
c, _ = s.accept()
# read the request head and its body (Content-Length), so the client sees an answer, not a reset
data = b""
while b"\r\n\r\n" not in data:
    chunk = c.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
length = 0
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    if k.strip().lower() == b"content-length":
        length = int(v.strip())
while len(body) < length:
    chunk = c.recv(65536)
    if not chunk:
        break
    body += chunk
with open(path, "rb") as f:
    payload = f.read()
c.sendall(b"HTTP/1.1 %s X\r\nContent-Type: %s\r\nConnection: close\r\n\r\n" % (status.encode(), ctype.encode()) + payload)
c.close()
