#!/usr/bin/python3
"""The fidelity scenarios' QMP client (host side): connects to QEMU's QMP socket and, when the guest's pvpanic
driver reports "crash loaded" (QMP event GUEST_CRASHLOADED: the crashing kernel, booted with
crash_kexec_post_notifiers, runs its panic notifiers before kexec), answers with `stop` (the guest pauses while
still in the crashing kernel), `pmemsave` of the first SIZE bytes of guest-physical memory into FILE, and `cont`
(kexec goes on). Writes what it saw as JSON to OUT: the event's and the stop's times, the pmemsave's duration.
Usage: qmp.py SOCKET SIZE FILE OUT. Reads QMP only; it ends when QEMU closes the socket (or after 900 s)."""
import json
import socket
import sys
import time

path, size, save, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
result = {"event": None}
deadline = time.monotonic() + 900
s = None
while s is None and time.monotonic() < deadline:   # QEMU creates the socket as it starts
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
    except OSError:
        s = None
        time.sleep(0.05)
if s is None:
    sys.exit(f"qmp.py: no QMP socket at {path}")
f = s.makefile("rwb", buffering=0)


def read():
    line = f.readline()
    if not line:
        raise EOFError
    return json.loads(line)


def execute(cmd, **args):
    """Runs a QMP command; returns (its reply, the seconds it took). Events that arrive meanwhile are kept."""
    t0 = time.monotonic()
    f.write(json.dumps({"execute": cmd, **({"arguments": args} if args else {})}).encode() + b"\n")
    while True:
        m = read()
        if "return" in m or "error" in m:
            return m, time.monotonic() - t0
        result.setdefault("other_events", []).append(m.get("event"))


try:
    read()                      # the greeting
    execute("qmp_capabilities")
    while True:
        m = read()
        if m.get("event") != "GUEST_CRASHLOADED":
            continue
        t_event = time.monotonic()
        ts = m.get("timestamp", {})
        reply, t_stop = execute("stop")
        result["event"] = "GUEST_CRASHLOADED"
        result["stop_after_event_ms"] = round((time.monotonic() - t_event) * 1000, 1)
        result["stop"] = "ok" if "return" in reply else reply.get("error")
        # QEMU's own event time to our stop reply: the window the guest ran after reporting the crash.
        result["event_time"] = ts.get("seconds", 0) + ts.get("microseconds", 0) / 1e6   # QEMU's, the host's clock
        result["stop_after_qemu_event_ms"] = round((time.time() - ts.get("seconds", 0) - ts.get("microseconds", 0) / 1e6) * 1000, 1)
        reply, t_save = execute("pmemsave", val=0, size=size, filename=save)
        result["pmemsave"] = "ok" if "return" in reply else reply.get("error")
        result["pmemsave_ms"] = round(t_save * 1000)
        reply, _ = execute("cont")
        result["cont"] = "ok" if "return" in reply else reply.get("error")
        break
    while True:                 # until QEMU exits
        read()
except (EOFError, OSError, ValueError):
    pass
json.dump(result, open(out, "w"))
