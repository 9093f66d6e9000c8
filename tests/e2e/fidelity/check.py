#!/usr/bin/python3
"""Asserts a fidelity scenario (run.sh) and prints its figures: the first kernel had the NIC receiving, the disk
reading and pvpanic bound; QMP saw GUEST_CRASHLOADED and paused, saved and resumed the guest; the capture kernel ran
the hook and wrote the whole dump; compare.py compared it with the saved memory. fidelity-none must show the NIC's
frames landing in the dump (else the scenario proves nothing). The timeline is the host's clock: QEMU's time of the
crash event, each frame's send time (sender.py --log), the moment the capture kernel printed that the boot hook was
done (run.sh's watcher). With preconfig no frame sent after the hook was done may be in the dump.
Usage: check.py S LOG QMPJSON DISK MEM WALL FRAMES HOOKTIME CAPTURETIME"""
import json
import os
import subprocess
import sys

s, log, qjson, disk, mem, wall, frames_log, hook_time, capture_time = sys.argv[1:10]
here = os.path.dirname(os.path.abspath(__file__))
problems, fig = [], {"wall_s": wall}
marks = {}
for line in open(log, "rb").read().decode("latin-1").split("\n"):
    i = line.find("E2E:")
    if i >= 0:
        w = line[i + 4:].rstrip("\r").split(" ")
        key = " ".join(w[:2]) if w[0] in ("FIDELITY", "NET") else w[0]
        marks.setdefault(key, dict(x.split("=", 1) for x in w[1:] if "=" in x))


def host_time(path):
    """A time run.sh's watcher wrote (the host's clock), or None."""
    try:
        return float(open(path).read())
    except (OSError, ValueError):
        return None


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
    layout = marks.get("FIDELITY layout", {})
    out = subprocess.run([sys.executable, os.path.join(here, "compare.py"), disk, mem,
                          "--crash-notes", layout.get("crash_notes", "none"),
                          "--vmcoreinfo", layout.get("vmcoreinfo", "none"),
                          "--kernel-image", layout.get("kernel_image", "none")], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        print(f"{line} scenario={s}")
        if line.startswith("E2E-FIDELITY-SUM"):
            sums = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
    need(out.returncode == 0 and "pages_changed" in sums, f"compare.py: {sums.get('error') or out.stderr.strip()[-200:]}")
if "pages_changed" in sums:
    print(f"E2E-FIDELITY scenario={s} pages_compared={sums['pages_compared']} pages_changed={sums['pages_changed']} "
          f"bytes_changed={sums['bytes_changed']} quiesced_at_ms={quiesced}")
    fig.update({k: v for k, v in sums.items() if k.endswith("_pages") or k.startswith("frame")})
    # The timeline: when the crash was reported, when the hook was done, when the newest frame in the dump was sent.
    sent = {}
    for line in open(frames_log) if os.path.exists(frames_log) else []:
        n, when = line.split()
        sent[int(n)] = float(when)
    t_hook, t_capture = host_time(hook_time), host_time(capture_time)
    t_crash = q.get("event_time")
    need(t_hook is not None and t_crash, "no timeline: the hook's or the crash's host time is missing")
    seqs = sums.get("frame_seqs", "")
    newest = int(seqs.split("..")[1]) if ".." in seqs else None
    if t_hook is not None and t_crash:
        fig["crash_to_hook_done_s"] = round(t_hook - t_crash, 1)
        if t_capture:   # kexec (purgatory's checks included) to the capture kernel's banner, then its boot to the hook
            fig["crash_to_capture_kernel_s"] = round(t_capture - t_crash, 1)
        if newest in sent:
            # Negative: the newest frame in the dump was sent before the hook was done.
            fig["newest_frame_in_dump_sent_s_after_crash"] = round(sent[newest] - t_crash, 1)
            fig["newest_frame_in_dump_sent_s_after_hook"] = round(sent[newest] - t_hook, 1)
        if s == "fidelity":
            need(newest is None or (newest in sent and sent[newest] <= t_hook),
                 f"DMA AFTER THE QUIESCE: frame {newest}, sent after the boot hook was done, is in the dump")
    if s == "fidelity-none":
        need(int(sums["frames_after_crash"]) > 0, "LEFTOVER DMA DID NOT REPRODUCE: the dump holds no frame received "
             "after the crash")
f = " ".join(f"{k}={v}" for k, v in fig.items() if v is not None)
if problems:
    print(f"e2e: FAIL {s}: " + "; ".join(problems) + f" ({f})")
    sys.exit(1)
print(f"e2e: PASS {s} ({f})")
