#!/usr/bin/python3
"""Prints P, the first of a free UDP port pair on loopback for QEMU's socket netdev (P: QEMU listens; P+1: QEMU
sends, nobody listens). Used by kdump.sh and arm64/run.sh."""
import random
import socket

for _ in range(100):
    p = random.randrange(30000, 60000, 2)
    try:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", p))
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass
