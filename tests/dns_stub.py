#!/usr/bin/env python3
# A DNS server for tests/image.sh: answers every A query with 127.0.0.1 on 127.0.0.1:53 (inside
# the test's own network namespace), so the image's static binary is seen resolving through
# /etc/resolv.conf. Writes "ready" to the file named by its argument once listening.
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").write("ready\n")
while True:
    q, addr = s.recvfrom(512)
    tid, flags, qd = struct.unpack(">HHH", q[:6])
    i = 12
    while q[i] != 0:
        i += q[i] + 1
    qtype = struct.unpack(">H", q[i+1:i+3])[0]
    question = q[12:i+5]
    an = 1 if qtype == 1 else 0
    hdr = struct.pack(">HHHHHH", tid, 0x8180, 1, an, 0, 0)
    ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1") if an else b""
    s.sendto(hdr + question + ans, addr)
