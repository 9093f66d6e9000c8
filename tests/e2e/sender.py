#!/usr/bin/python3
"""Host-side frame sender for the leftover-DMA scenarios: raw Ethernet frames (broadcast, 614 bytes, ethertype
0x88b5, payload tagged PRECONFIG-E2E-DMA) as UDP datagrams to a QEMU socket netdev on LOOPBACK ONLY.
Bounded: stops by itself after --seconds or --count frames, whichever comes first. --log FILE: one line per frame,
"SEQ HOST_TIME" (the host's wall clock when it was sent), for the fidelity scenarios' timeline.
Usage: sender.py PORT [--rate 3] [--seconds 150] [--count 500] [--log FILE]"""
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
ap.add_argument("--log")
a = ap.parse_args()

DEST = ("127.0.0.1", a.port)  # loopback only, by construction
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
header = b"\xff" * 6 + bytes.fromhex("525400e2e201") + struct.pack("!H", 0x88B5)
end = time.monotonic() + min(a.seconds, 600.0)
log = open(a.log, "w", buffering=1) if a.log else None
n = 0
while n < min(a.count, 10000) and time.monotonic() < end:
    payload = (b"PRECONFIG-E2E-DMA %08d " % n).ljust(600, b"\xa5")
    try:
        s.sendto(header + payload, DEST)
    except OSError:
        pass  # QEMU not listening yet: the datagram is simply lost
    if log:
        log.write(f"{n} {time.time():.3f}\n")
    n += 1
    time.sleep(1.0 / a.rate)
print(f"sender: {n} frames to {DEST[0]}:{DEST[1]}", file=sys.stderr)
