#!/usr/bin/python3
"""Host-side frame sender for the leftover-DMA scenarios: raw Ethernet frames (broadcast, 614 bytes, ethertype
0x88b5, payload tagged PRECONFIG-E2E-DMA) as UDP datagrams to a QEMU socket netdev on LOOPBACK ONLY.
Bounded: stops by itself after --seconds or --count frames, whichever comes first.
Usage: sender.py PORT [--rate 3] [--seconds 150] [--count 500]"""
import argparse
import socket
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--rate", type=float, default=3.0)
ap.add_argument("--seconds", type=float, default=150.0)
ap.add_argument("--count", type=int, default=500)
a = ap.parse_args()

DEST = ("127.0.0.1", a.port)  # loopback only, by construction
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
header = b"\xff" * 6 + bytes.fromhex("525400e2e201") + struct.pack("!H", 0x88B5)
end = time.monotonic() + min(a.seconds, 600.0)
n = 0
while n < min(a.count, 10000) and time.monotonic() < end:
    payload = (b"PRECONFIG-E2E-DMA %08d " % n).ljust(600, b"\xa5")
    try:
        s.sendto(header + payload, DEST)
    except OSError:
        pass  # QEMU not listening yet: the datagram is simply lost
    n += 1
    time.sleep(1.0 / a.rate)
print(f"sender: {n} frames to {DEST[0]}:{DEST[1]}", file=sys.stderr)
