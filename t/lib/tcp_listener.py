#!/usr/bin/env python3
"""tcp_listener.py PORT FILE: accept TCP connections on 127.0.0.1:PORT and
append one line to FILE for each (then close it). FILE.ready appears once
the socket listens. For tests that must show nothing connected to a port:
run it in the background and stop it (by pid) with a trap."""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection\n")
    c.close()
