#!/usr/bin/python3
"""The device matrix's table of results, from WORK/matrix-<scenario>.json (mxcheck.py, specmask.py) and
WORK/lsi-<scenario>.json (lsicheck.py) of the scenarios that ran: one row per device type and IOMMU mode with the
functions, the registers checked, the registers that differ from firmware's after preinit (explained by a policy /
not), QEMU's differences from the specification table (explained / not), the leftover activity the crash left (in
the capture kernel before the boot hook: without preconfig) and what is left after preinit (with it), and whether
the driver works after preinit. Ends with one E2E-MATRIX summary line per machine. Usage: table.py WORK SCENARIO..."""
import json
import os
import sys

work = sys.argv[1]
ran = sys.argv[2:]


def load(name):
    try:
        return json.load(open(os.path.join(work, name)))
    except (OSError, ValueError):
        return None


results = [r for r in (load(f"matrix-{s}.json") for s in ran if s.startswith("matrix")) if r]
lsi = {s: load(f"lsi-{s}.json") for s in ran if s.startswith("scsi-irq")}


def activity(rows, key):
    seen = []
    for r in rows:
        for x in r[key]:
            if x.startswith("DMA:"):
                seen.append(f"DMA into the dump ({x[4:]} lines changed)")
            elif x == "BusMaster":
                seen.append("Bus Master on")
            else:
                seen.append(x)
    return ", ".join(dict.fromkeys(seen)) or "-"


def works(rows):
    v = [r["works_capture"][0] for r in rows]
    if all(x == "n/a" for x in v):
        return "n/a (no driver)"
    return "yes" if all(x in ("ok", "n/a") for x in v) else "NO"


def storm(res):
    f = (res or {}).get("figures", {})
    if not res:
        return None
    s = f"{f.get('irq_count')} unclaimed IRQs" + (", nobody cared" if f.get("nobody_cared") == "yes" else "")
    return s, f.get("read_16MiB_ms")


rows = {}
for res in results:
    mode = "on" if res["iommu"] else "off"
    spec = res.get("spec") or {}
    by = {}
    for r in res["rows"]:
        by.setdefault(r["type"], []).append(r)
    for t, rs in by.items():
        pol = sum(len(r["explained"]) + len(r["device_specific_changed"]) for r in rs)
        oth = sum(len(r["mismatched"]) for r in rs)
        if spec.get("status") == "compared":
            diffs = [d for d in spec["differences"] if d["type"] == t]
            sp = f"{len(diffs)} ({sum(1 for d in diffs if d['why'])}/{sum(1 for d in diffs if not d['why'])})"
        else:
            sp = "NOT COMPARED"
        row = [t, mode, str(len(rs)), str(sum(r["checked"] for r in rs)), f"{pol + oth} ({pol}/{oth})", sp,
               activity(rs, "before"), activity(rs, "after"), works(rs)]
        if t == "lsi53c895a" and lsi.get("scsi-irq-none") and lsi.get("scsi-irq-intx-down"):
            # The lsi's own scenarios: its INTx left asserted by the crash (lsicheck.py).
            none, pre = storm(lsi["scsi-irq-none"]), storm(lsi["scsi-irq-intx-down"])
            def add(cell, text):
                return text if cell == "-" else f"{cell}; {text}"
            row[6] = add(row[6], f"scsi-irq-none: INTx asserted, {none[0]}")
            row[7] = add(row[7], f"scsi-irq-intx-down: reset verified, INTx down, still {pre[0]} (IO-APIC latch: a limit)")
            row[8] += f" (16 MiB: {pre[1]} ms after the storm)"
        rows[(t, mode)] = (min(r["address"] for r in rs), row)
        if mode == "on" and ("lsi53c895a", "on") not in rows:
            rows[("lsi53c895a", "on")] = ("0000:05:01.0", ["lsi53c895a", "on", "0", "-", "-", "-", "-", "-",
                                                         "not in the IOMMU machine (its SCRIPTS fetches fault in QEMU's VT-d)"])

head = ["device type", "IOMMU", "fns", "registers checked", "mismatched (policy/other)", "QEMU vs spec (explained/not)",
        "leftover without preconfig", "leftover with preconfig", "driver works after preinit"]
ordered = [rows[k][1] for k in sorted(rows, key=lambda k: (rows[(k[0], "off")][0] if (k[0], "off") in rows else rows[k][0], k[0], k[1]))]
widths = [max(len(x[i]) for x in ordered + [head]) for i in range(len(head))]
fmt = "| " + " | ".join("{:%d}" % w for w in widths) + " |"
print(fmt.format(*head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for x in ordered:
    print(fmt.format(*x))
# One summary line per machine (IOMMU off, on): its own figures, never summed across machines.
for res in results:
    f, sp = res["figures"], res.get("spec") or {}
    spec = (f"spec_registers_compared={sp['compared']} spec_differences={len(sp['differences'])} "
            f"spec_unexplained={sum(1 for d in sp['differences'] if not d['why'])}") if sp.get("status") == "compared" \
        else f"spec={sp.get('status', 'missing')}"
    print(f"E2E-MATRIX machine={res['scenario']} iommu={'on' if res['iommu'] else 'off'} "
          f"device_types={f.get('device_types')} functions={f.get('functions')} registers_checked={f.get('registers_checked')} "
          f"dirtied={f.get('dirtied')} survived={f.get('survived')} kernel_changed={f.get('kernel_changed')} "
          f"mismatches={f.get('mismatches')} explained={f.get('explained')} unexplained={f.get('unexplained')} {spec}")
