#!/usr/bin/python3
"""Asserts the scsi-irq scenarios (the 2006 proposal's failure case 2) from the serial log. An lsi53c895a reaches the
capture kernel with its INTx line high (lsi-first.sh); when sym53c8xx registers its handler, the interrupt comes
100,000 times with nothing to claim, the kernel says "irq N: nobody cared" and disables the line, and the disk is
left to irqpoll's polling. The cause (docs/e2e-matrix.md) is not in the device: QEMU's IO-APIC keeps the level
interrupt latched (its IRR) from the crashed kernel, because the line drops while the capture kernel holds that pin
masked and edge-triggered, and QEMU clears the latch only on a drop it sees in level mode.
  scsi-irq-none  no preconfig: the storm (fails loudly if it stops reproducing);
  scsi-irq-intx-down  preinit resets the controller through its bridge (reset-lsi.policy); asserts the reset is
                 verified and the function's INTx is down before the driver loads. The storm still comes: no
                 config-space action or reset reaches the interrupt controller's latch, an emulator limit, so the
                 verdict is LIMIT (exit 3), never PASS (fails if the storm stops coming: update the docs);
  scsi-irq-quiesce (not in the default list) preinit's default policy, quiesce and restore: figures only.
Prints "e2e: PASS|FAIL|LIMIT <scenario> (...)"; writes WORK/lsi-<scenario>.json for table.py."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verdict import Verdict  # noqa: E402

v = Verdict()
a, need, problems, figures = v.args, v.need, v.problems, v.figures
lsi, works, dmesg, marks, irq = {}, {}, [], {}, {}
report = None
for w, rest in v.records():
    if w[0] == "LSI":
        kv = dict(x.split("=", 1) for x in w[1:] if "=" in x)
        phase = w[1] if len(w) > 1 and "=" not in w[1] else ("read" if "rc" in kv else "disk")
        lsi[phase] = kv
    elif w[0] == "WORKS" and len(w) >= 5:
        works[w[1]] = w[4]
    elif w[0] == "DMESG":
        dmesg.append(rest[6:])
    elif w[0] == "IRQ":
        irq.setdefault(w[1], []).append(" ".join(w[2:]))
    elif w[0] == "REPORT" and report is None:
        try:
            report = json.loads(rest[7:])
        except ValueError:
            report = {}
    else:
        marks.setdefault(w[0], w[1:])

def status(phase):
    v = lsi.get(phase, {}).get("status")
    return int(v, 16) if v else None


need("DONE" in marks, "capture kernel did not finish")
addr = lsi.get("first", {}).get("addr", "?")
need(works.get("first") == "ok", "the lsi53c895a's disk did not read in the first kernel")
need((status("pending") or 0) & 0x08 and not int(lsi.get("pending", {}).get("command", "0"), 16) & 0x400,
     f"the chip's INTx was not left asserted at the panic ({lsi.get('pending')})")
pending_before = bool((status("before") or 0) & 0x08)
figures["status_before"] = lsi.get("before", {}).get("status")
figures["status_after_hook"] = lsi.get("after", {}).get("status")
need(pending_before, f"the pending interrupt did not reach the capture kernel (Status {figures['status_before']})")
# A storm: the handler saw interrupts it could not claim by the ten thousand (a clean load takes under a hundred);
# at 100,000 unhandled the kernel prints "nobody cared" and disables the line, and irqpoll's polling is all that is left.
nobody = [l for l in dmesg if "nobody cared" in l]
line = next((l for l in irq.get("capture", []) if "sym53c8xx" in l), "")
count = int(line.split()[1]) if len(line.split()) > 1 and line.split()[1].isdigit() else 0
storm = nobody or count >= 10000
figures["irq_count"] = count
figures["nobody_cared"] = "yes" if nobody else "no"
rd = lsi.get("read", {})
figures["read_16MiB_ms"] = rd.get("ms")
figures["driver_load_ms"] = lsi.get("disk", {}).get("ms")
dev = next((d for d in (report or {}).get("devices", []) if d.get("address") == addr), None)
if dev and dev.get("reset"):
    r = dev["reset"]
    figures["reset"] = f"{r.get('method')}:{'verified' if r.get('verified') else 'NOT verified'}:{r.get('ms')}ms"

s = a.scenario
need(rd.get("rc") == "0", f"the disk did not read after the driver loaded (rc={rd.get('rc')})")
if s == "scsi-irq-none":
    need(storm, f"THE INTERRUPT STORM DID NOT REPRODUCE: {count} interrupts and no 'nobody cared' after the driver loaded "
         "on a controller left with its INTx asserted (docs/e2e-matrix.md)")
elif s == "scsi-irq-intx-down":
    need(dev is not None and dev.get("outcome") == "restored", f"preinit report for {addr}: {dev}")
    need(dev is not None and (dev.get("reset") or {}).get("verified"), f"the reset of {addr} was not verified: {dev and dev.get('reset')}")
    need(not (status("after") or 0) & 0x08, f"the function's interrupt still pending after preinit (Status {figures['status_after_hook']})")
    need(storm, f"no interrupt storm after preinit's reset ({count} interrupts): the limit docs/e2e-matrix.md documents "
         "(a latched IO-APIC IRR no config-space action reaches) no longer holds here; update the docs and this check")
out = {"scenario": s, "address": addr, "figures": figures, "problems": problems, "dmesg": dmesg[:12], "irq": irq}
with open(os.path.join(os.path.dirname(os.path.abspath(a.log)), f"lsi-{s}.json"), "w") as f:
    json.dump(out, f, indent=1)
v.finish(limit="the reset verified and the lsi53c895a's INTx down after preinit (asserted); the IRQ storm still "
         "comes from QEMU's IO-APIC, which keeps the crashed kernel's level interrupt latched (an emulator limit, "
         "docs/e2e-matrix.md)" if s == "scsi-irq-intx-down" else None)
