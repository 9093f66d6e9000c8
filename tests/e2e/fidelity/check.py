#!/usr/bin/python3
"""Asserts a fidelity scenario (run.sh) and prints its figures: the first kernel had the NIC receiving, the disk
reading and pvpanic bound; QMP saw GUEST_CRASHLOADED and paused, saved and resumed the guest; the capture kernel ran
the hook and wrote the whole dump; compare.py compared it with the saved memory. fidelity-none must show the NIC's
frames landing in the dump (else the scenario proves nothing). Usage: check.py S LOG QMPJSON DISK MEM WALL"""
import json
import os
import subprocess
import sys

s, log, qjson, disk, mem, wall = sys.argv[1:7]
here = os.path.dirname(os.path.abspath(__file__))
problems, fig = [], {"wall_s": wall}
marks = {}
for line in open(log, "rb").read().decode("latin-1").split("\n"):
    i = line.find("E2E:")
    if i >= 0:
        w = line[i + 4:].rstrip("\r").split(" ")
        key = " ".join(w[:2]) if w[0] in ("FIDELITY", "NET") else w[0]
        marks.setdefault(key, dict(x.split("=", 1) for x in w[1:] if "=" in x))


def need(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


first, saved, hook = marks.get("FIDELITY first", {}), marks.get("FIDELITY saved", {}), marks.get("HOOK", {})
rx = int((marks.get("NET first") or {}).get("rx_packets", 0) or 0)
need(rx > 0, "the first kernel's NIC received no frames")
need(first.get("pvpanic") == "1", f"pvpanic-pci not bound in the first kernel ({first})")
need(first.get("disk") == "nvme0n1", "no nvme disk in the first kernel")
try:
    q = json.load(open(qjson))
except (OSError, ValueError):
    q = {}
fig["stop_after_event_ms"] = q.get("stop_after_event_ms")
fig["pmemsave_ms"] = q.get("pmemsave_ms")
need(q.get("event") == "GUEST_CRASHLOADED" and q.get("stop") == "ok" and q.get("pmemsave") == "ok" and q.get("cont") == "ok",
     f"QMP did not pause, save and resume the crashing guest: {q}")
need(hook.get("rc") == "0", f"boot hook exit {hook.get('rc')}")
need(saved.get("rc") == "0", f"the capture kernel did not write the dump ({saved})")
fig["dump_write_ms"] = saved.get("ms")
quiesced = hook.get("uptime_ms") if s != "fidelity-none" else "-"
sums = {}
if not problems:
    out = subprocess.run([sys.executable, os.path.join(here, "compare.py"), disk, mem], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        print(f"{line} scenario={s}")
        if line.startswith("E2E-FIDELITY-SUM"):
            sums = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
    need(out.returncode == 0 and "pages_changed" in sums, f"compare.py: {sums.get('error') or out.stderr.strip()[-200:]}")
if "pages_changed" in sums:
    print(f"E2E-FIDELITY scenario={s} pages_compared={sums['pages_compared']} pages_changed={sums['pages_changed']} "
          f"bytes_changed={sums['bytes_changed']} quiesced_at_ms={quiesced}")
    fig.update(nic_frame_pages=sums["nic_frame_pages"], disk_block_pages=sums["disk_block_pages"],
               other_pages=sums["other_pages"])
    if s == "fidelity-none":
        need(int(sums["nic_frame_pages"]) > 0, "LEFTOVER DMA DID NOT REPRODUCE: no page of the dump holds a frame "
             "received after the crash")
f = " ".join(f"{k}={v}" for k, v in fig.items() if v is not None)
if problems:
    print(f"e2e: FAIL {s}: " + "; ".join(problems) + f" ({f})")
    sys.exit(1)
print(f"e2e: PASS {s} ({f})")
