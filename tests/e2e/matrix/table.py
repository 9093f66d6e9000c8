#!/usr/bin/python3
"""The device matrix's table of results, from WORK/matrix-<scenario>.json (mxcheck.py) of the scenarios that ran:
one row per device type and IOMMU mode: functions, registers checked, registers mismatched (explained by policy /
not), leftover activity without preconfig (the capture kernel before the boot hook) and with it (after), whether
the driver works after preinit. Ends with the E2E-MATRIX summary line. Usage: table.py WORK SCENARIO..."""
import json
import os
import sys

work = sys.argv[1]
scenarios = [s for s in sys.argv[2:] if s.startswith("matrix")] or ["matrix", "matrix-iommu"]
results = []
for s in scenarios:
    try:
        results.append(json.load(open(os.path.join(work, f"matrix-{s}.json"))))
    except (OSError, ValueError):
        print(f"E2E-MATRIX-TABLE: no results for {s}")


def activity(rows, key):
    seen = []
    for r in rows:
        for x in r[key]:
            tag = x.split(":")[0]
            if tag == "DMA":
                seen.append(f"dump changed ({x.split(':')[1]} lines)")
            elif x not in seen:
                seen.append(x)
    return ", ".join(dict.fromkeys(seen)) or "-"


def works(rows):
    v = [r["works_capture"][0] for r in rows]
    if all(x == "n/a" for x in v):
        return "n/a"
    return "yes" if all(x in ("ok", "n/a") for x in v) else "NO"


head = ("device type", "IOMMU", "fns", "registers checked", "mismatched (policy/other)",
        "leftover without preconfig", "leftover with preconfig", "driver works after preinit")
lines = []
for res in results:
    by = {}
    for r in res["rows"]:
        by.setdefault(r["type"], []).append(r)
    for t in sorted(by, key=lambda t: min(r["address"] for r in by[t])):
        rows = by[t]
        pol = sum(len(r["explained"]) + len(r["device_specific_changed"]) for r in rows)
        oth = sum(len(r["mismatched"]) for r in rows)
        lines.append((t, "on" if res["iommu"] else "off", str(len(rows)), str(sum(r["checked"] for r in rows)),
                      f"{pol + oth} ({pol}/{oth})", activity(rows, "before"), activity(rows, "after"), works(rows)))
widths = [max(len(x[i]) for x in lines + [head]) for i in range(len(head))]
fmt = "| " + " | ".join("{:%d}" % w for w in widths) + " |"
print(fmt.format(*head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for x in lines:
    print(fmt.format(*x))
types = {r["type"] for res in results for r in res["rows"]}
fns = sum(len(res["rows"]) for res in results)
checked = sum(res["figures"].get("registers_checked", 0) for res in results)
mism = sum(res["figures"].get("mismatches", 0) for res in results)
unexpl = sum(res["figures"].get("unexplained", 0) for res in results)
print(f"E2E-MATRIX device_types={len(types)} functions={fns} registers_checked={checked} mismatches={mism} "
      f"explained={mism - unexpl} unexplained={unexpl} runs={len(results)}")
