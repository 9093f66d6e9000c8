#!/usr/bin/python3
"""Asserts a device-matrix scenario (matrix, matrix-iommu) from its serial log and prints
"e2e: PASS <scenario> (...)" or "e2e: FAIL <scenario>: ...", one E2E-MATRIX-FN line per function, and writes
WORK/matrix-<scenario>.json for table.py. Exit 0 on pass.

What the guest printed (matrix/cfgprobe.c, matrix/lib.sh): firmware's config space (fw), the writable bits QEMU
let the probe change (WMASK; SCOPE says which bytes were probed), what the dirtying changed (DIRTY), config space in
the capture kernel before and after the boot hook, whether each driver works in both kernels, /proc/vmcore read
twice before and after the hook. Judged here, independently of preconfig's code:
  - every register with writable bits was dirtied, and it reached the capture kernel (else the test proves nothing);
  - after the hook every writable bit of every register equals firmware's, except where a documented policy says
    otherwise (POLICY below: each such mismatch is printed with its reason);
  - resource registers (BARs, ROM, windows, bus numbers) equal firmware's (never dirtied, never moved);
  - every driver works after preinit; leftover DMA changes the dump before the hook and not after it."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registers import registers, u16  # noqa: E402
from verdict import Verdict  # noqa: E402

v = Verdict()
a, text, need, problems, figures = v.args, v.text, v.need, v.problems, v.figures
here = os.path.dirname(os.path.abspath(__file__))
DMANIC = "0000:01:00.0"

types = {}   # vendor:device -> (type name, check kind)
for line in open(os.path.join(here, "devices.txt")):
    w = line.split()
    if w and not line.startswith("#") and len(w) >= 4:
        types[w[0]] = (w[1], w[3])

xlen, xcfg, scope, wmask, avoid, nodirty, probe, dirtied = {}, {}, {}, {}, {}, {}, {}, {}
works, loads, vm, marks = {}, {}, {}, {}
for w, rest in v.records():
    k = w[0]
    try:
        if k == "XLEN":
            xlen.setdefault(w[1], {})[w[2]] = int(w[3])
        elif k == "XCFG":
            xcfg.setdefault(w[1], {})[w[2]] = bytes.fromhex(w[3] if len(w) > 3 else "")
        elif k == "SCOPE":
            scope[w[1]] = w[2] if len(w) > 2 else ""
        elif k in ("WMASK", "AVOID", "NODIRTY", "DIRTY"):
            {"WMASK": wmask, "AVOID": avoid, "NODIRTY": nodirty, "DIRTY": dirtied}[k][w[1]] = bytes.fromhex(w[2] if len(w) > 2 else "")
        elif k == "PROBE" and len(w) > 2:
            probe[w[1]] = dict(x.split("=", 1) for x in w[2:] if "=" in x)
        elif k == "WORKS" and len(w) >= 5:
            works.setdefault(w[1], {})[w[2]] = (w[4], " ".join(w[5:]))
        elif k == "LOAD" and len(w) >= 4:
            loads.setdefault(w[1], {})[w[2]] = w[3]
        elif k == "MXVMCORE" and len(w) > 2:
            vm[w[1]] = dict(x.split("=", 1) for x in w[2:] if "=" in x)
        elif k == "REPORT":
            marks.setdefault("REPORT", rest[7:])
        else:
            marks.setdefault(k, w[1:])
    except (ValueError, IndexError):
        continue


def full(phase, addr):
    """Config bytes of addr at phase, padded to the length the guest read (it drops trailing zero bytes)."""
    b = xcfg.get(phase, {}).get(addr)
    if b is None:
        return None
    n = xlen.get(phase, {}).get(addr, len(b))
    return b + bytes(n - len(b))


def pad(b, n):
    return (b or b"") + bytes(max(0, n - len(b or b"")))


def val(b, o, n):
    return int.from_bytes(b[o:o + n], "little")


report = {}
try:
    for d in json.loads(marks.get("REPORT", "{}")).get("devices", []):
        report[d.get("address")] = d
except ValueError:
    problems.append("preinit report is not JSON")

# Policies: a register that differs from firmware's after preinit is accepted only with one of these, by name.
CMD_BM, CMD_INTX = 0x0004, 0x0400


# Each reason names the policy: docs/preinit.md's table "What is not restored, and why" (Planning/LeftAlone.cs),
# or docs/e2e-matrix.md for what the matrix adds.
POLICY = {
    "intx": "Command Bus Master off and INTx Disable on for an endpoint: a driver enables DMA and INTx when it probes "
            "(policy busMaster/intx; docs/preinit.md, what is not restored)",
    "msi": "MSI Enable, MSI-X Enable off: a driver enables its vectors (docs/preinit.md, what is not restored)",
    "pm": "PM Control power state and PME Enable as found (no D-state change: the kernel owns D-states), Data_Select "
          "as found (it selects what the read-only Data register shows) (docs/preinit.md, what is not restored)",
    "mps": "DevCtl Max Payload Size: the kernel's (pci_configure_mps()) (docs/preinit.md, what is not restored)",
    "ari-fwd": "DevCtl2 ARI Forwarding Enable as found: pci_configure_ari() sets it (docs/preinit.md, what is not restored)",
    "acs": "ACS Control as found: the kernel sets ACS by its IOMMU policy (docs/preinit.md, what is not restored)",
    "ari": "ARI Control as found: the kernel's (docs/preinit.md, what is not restored)",
    "l1ss": "L1 PM Substates restored only with the link partner (docs/preinit.md, what is not restored)",
    "other-cap": "a capability preinit does not restore (its driver or the kernel owns it; docs/preinit.md, what is "
                 "not restored: every other capability)",
}
# The structures (register name prefixes) preinit restores; a writable register elsewhere is "every other capability".
RESTORED = ("PM.", "MSI.", "MSIX.", "PCIe.", "AER.", "LTR.", "L1SS.", "PTM.", "DPC.", "ACS.", "ARI.")


def policy_bits(addr, name, fw, aft, is_bridge):
    """(bits explained, reason) for register `name` of addr, or (0, None)."""
    if name == "Command" and not is_bridge:
        bits = 0
        if fw & CMD_BM and not aft & CMD_BM:
            bits |= CMD_BM
        if aft & CMD_INTX and not fw & CMD_INTX:
            bits |= CMD_INTX
        if bits:
            return bits, POLICY["intx"]
    if name == "MSI.Flags" and fw & 1 and not aft & 1:
        return 1, POLICY["msi"]
    if name == "MSIX.Flags" and fw & 0x8000 and not aft & 0x8000:
        return 0x8000, POLICY["msi"]
    if name == "PM.Ctrl":
        return 0x1f03, POLICY["pm"]
    if name == "PCIe.DevCtl":
        return 0x00e0, POLICY["mps"]
    if name == "PCIe.DevCtl2":
        return 0x0020, POLICY["ari-fwd"]
    if name == "ACS.Ctrl":
        return 0xffff, POLICY["acs"]
    if name == "ARI.Ctrl":
        return 0xffff, POLICY["ari"]
    if name in ("L1SS.Ctl1", "L1SS.Ctl2"):
        return 0xffffffff, POLICY["l1ss"]
    if "." in name and not name.startswith(RESTORED):
        return 0xffffffff, POLICY["other-cap"]
    return 0, None


def function_policy(addr):
    """A reason that covers every register of addr (preinit did not restore it, and says why), or None."""
    d = report.get(addr)
    if d and d.get("outcome") == "skipped":
        return "preinit skipped it: " + (d.get("reason") or "?")
    return None


rows = []          # one per function
notes = []
unexplained, explained = [], []
n_checked = n_dirtied = n_survived = n_resources = n_devspec_changed = 0
fw_all = xcfg.get("fw", {})
need(fw_all, "the first kernel printed no config space (did it boot?)")
for addr in sorted(fw_all):
    fw = full("fw", addr)
    n = len(fw)
    probed, dirty, before, after = full("probed", addr), full("dirty", addr), full("before", addr), full("after", addr)
    wm, av, nd = pad(wmask.get(addr), n), pad(avoid.get(addr), n), pad(nodirty.get(addr), n)
    dd = pad(dirtied.get(addr), n)
    sc = (scope.get(addr, "") + "D" * n)[:n]
    vid = f"{u16(fw, 0):04x}:{u16(fw, 2):04x}"
    tname, kind = types.get(vid, (vid, "unknown"))
    is_bridge = fw[0x0e] & 0x7f == 1
    row = {"address": addr, "id": vid, "type": tname, "kind": kind, "bridge": is_bridge,
           "secondary": fw[0x19] if is_bridge else None, "subordinate": fw[0x1a] if is_bridge else None,
           "checked": 0, "dirtied": 0, "survived": 0, "mismatched": [], "explained": [], "resources": 0,
           "device_specific_changed": [], "before": [], "after": [], "preinit": "absent",
           "works_first": works.get("first", {}).get(addr, ("?", "")),
           "works_capture": works.get("capture", {}).get(addr, ("?", ""))}
    # The probe must leave every writable bit as firmware had it; a read-only bit it moved is a side effect of
    # QEMU's emulation (noted, e.g. a link status bit recomputed on a Link Control write).
    need(addr in probe and "error" not in probe[addr], f"{addr}: not probed ({probe.get(addr)})")
    if probed is None:
        problems.append(f"{addr}: no config space after the probe")
    else:
        bad = [i for i in range(n) if (probed[i] ^ fw[i]) & wm[i]]
        need(not bad, f"{addr}: the probe did not put firmware's writable bits back at " + ", ".join(f"0x{i:x}" for i in bad[:4]))
        for i in (i for i in range(n) if (probed[i] ^ fw[i]) & ~wm[i] & 0xff):
            notes.append(f"{addr} config[0x{i:x}] 0x{fw[i]:02x} -> 0x{probed[i]:02x} after the probe (read-only bits: QEMU side effect)")
    if after is None:
        problems.append(f"{addr}: no config space after the hook (function gone?)")
        rows.append(row)
        continue
    fpol = function_policy(addr)
    for o, w, name in registers(fw):
        cls = set(sc[o:o + w])
        W, N = val(wm, o, w), val(nd, o, w)
        f0, f1 = val(fw, o, w), val(after, o, w)
        if "R" in cls:
            n_resources += 1
            row["resources"] += 1
            if f0 != f1:
                entry = f"{addr} {name} 0x{f0:x} -> 0x{f1:x} (resource register)"
                (explained if fpol else unexplained).append(entry + (f": {fpol}" if fpol else ""))
            continue
        if cls & {"D", "U", "X"} or name.startswith("config["):
            if f0 != f1:
                row["device_specific_changed"].append(name)
                n_devspec_changed += 1
                explained.append(f"{addr} {name} 0x{f0:x} -> 0x{f1:x}: device-specific register, not written by the test; "
                                 "preinit replays only the registers the specifications define (docs/e2e-matrix.md)")
            continue
        if not W:
            continue
        row["checked"] += 1
        n_checked += 1
        D = val(dd, o, w) & W & ~N
        if D:
            row["dirtied"] += 1
            n_dirtied += 1
            if before is not None and (val(before, o, w) ^ f0) & D:
                row["survived"] += 1
                n_survived += 1
        diff = (f0 ^ f1) & W
        if not diff:
            continue
        bits, why = policy_bits(addr, name, f0, f1, is_bridge)
        rest = diff & ~bits
        entry = f"{addr} {name} firmware 0x{f0:x} after 0x{f1:x} (writable 0x{W:x})"
        if rest and fpol:
            bits, why, rest = diff, fpol, 0
        if rest:
            row["mismatched"].append(name)
            unexplained.append(entry + (f"; only 0x{bits:x} explained by {why}" if bits else ""))
        else:
            row["explained"].append(name)
            explained.append(f"{entry}: {why}")
    # Leftover activity, from config space as the crash left it (before) and as preinit left it (after).
    # (Endpoints only: a bridge's Bus Master forwards its children's DMA, firmware leaves it on.)
    def activity(b):
        if b is None or is_bridge:
            return []
        out = []
        cmd, st = u16(b, 4), u16(b, 6)
        if cmd & CMD_BM:
            out.append("BusMaster")
        if st & 0x08:
            out.append("INTx asserted" if not cmd & CMD_INTX else "INTx pending (disabled)")
        return out
    row["before"], row["after"] = activity(before), activity(after)
    row["works_first"] = works.get("first", {}).get(addr, ("?", ""))
    row["works_capture"] = works.get("capture", {}).get(addr, ("?", ""))
    row["preinit"] = (report.get(addr) or {}).get("outcome", "absent")
    rows.append(row)

# Bridges work when every function below them with a check works.
for r in rows:
    if r["bridge"] and r["secondary"]:
        below = [x for x in rows if not x["bridge"] and r["secondary"] <= int(x["address"][5:7], 16) <= r["subordinate"]]
        verdicts = [x["works_capture"][0] for x in below if x["works_capture"][0] != "n/a"]
        r["works_capture"] = ("ok" if verdicts and all(v == "ok" for v in verdicts) else "fail" if verdicts else "n/a",
                              f"{len(verdicts)} below")
        v1 = [x["works_first"][0] for x in below if x["works_first"][0] != "n/a"]
        r["works_first"] = ("ok" if v1 and all(v == "ok" for v in v1) else "fail" if v1 else "n/a", "")

for r in rows:
    print(f"E2E-MATRIX-FN {a.scenario} {r['address']} {r['type']} checked={r['checked']} dirtied={r['dirtied']} "
          f"survived={r['survived']} mismatched={len(r['mismatched'])} explained={len(r['explained'])} "
          f"resources={r['resources']} before={'+'.join(r['before']) or '-'} after={'+'.join(r['after']) or '-'} "
          f"preinit={r['preinit']} first={r['works_first'][0]} capture={r['works_capture'][0]} "
          f"{r['works_capture'][1]}".rstrip())
for e in explained:
    print(f"E2E-MATRIX-POLICY {a.scenario} {e}")
for e in unexplained:
    print(f"E2E-MATRIX-MISMATCH {a.scenario} {e}")
for e in notes:
    print(f"E2E-MATRIX-NOTE {a.scenario} {e}")

# Verdicts.
need("DONE" in marks, "capture kernel did not finish")
kinds = {r["type"] for r in rows}
figures.update(device_types=len(kinds), functions=len(rows), registers_checked=n_checked,
               dirtied=n_dirtied, survived=n_survived, mismatches=len(explained) + len(unexplained),
               explained=len(explained), unexplained=len(unexplained), resources_compared=n_resources)
need(len(kinds) >= 10, f"only {len(kinds)} device types")
need(n_dirtied > 0 and n_survived * 2 > n_dirtied,
     f"the dirtied state did not reach the capture kernel ({n_survived} of {n_dirtied} registers)")
need(not unexplained, f"{len(unexplained)} register(s) differ from firmware's after preinit with no policy to explain them: "
     + "; ".join(unexplained[:4]))
bad_first = [f"{r['address']} {r['type']}" for r in rows if r["works_first"][0] == "fail"]
bad_cap = [f"{r['address']} {r['type']} ({r['works_capture'][1]})" for r in rows if r["works_capture"][0] == "fail"]
need(not bad_first, "drivers did not work in the first kernel: " + ", ".join(bad_first))
need(not bad_cap, "drivers did not work after preinit: " + ", ".join(bad_cap))
unknown = sorted({r["id"] for r in rows if r["kind"] == "unknown"})
need(not unknown, f"functions not in devices.txt: {unknown}")
if a.scenario.endswith("-iommu"):
    need("Copied translation tables from previous kernel" in text, "the capture kernel did not take over the crashed "
         "kernel's IOMMU translation tables (no 'DMAR: Copied translation tables from previous kernel')")
h = dict(x.split("=", 1) for x in marks.get("HOOK", []) if "=" in x)
need(h.get("rc") == "0", f"boot hook exit {h.get('rc')}")
b4, aft = vm.get("before", {}), vm.get("after", {})
if need("changed_lines" in b4 and "changed_lines" in aft, "no vmcore comparison before/after the hook"):
    figures["vmcore_changed_before"] = b4["changed_lines"]
    figures["vmcore_changed_after"] = aft["changed_lines"]
    figures["frames_before"] = b4.get("signature_lines")
    need(int(b4["changed_lines"]) > 0, "LEFTOVER DMA DID NOT REPRODUCE before the hook (the NIC at 01:00.0 was receiving)")
    need(int(aft["changed_lines"]) == 0, f"/proc/vmcore changed after preinit: {aft['changed_lines']} lines")
    for r in rows:
        if r["address"] == DMANIC:
            r["before"].append(f"DMA:{b4['changed_lines']}")
            if int(aft["changed_lines"]):
                r["after"].append(f"DMA:{aft['changed_lines']}")
out = {"scenario": a.scenario, "iommu": a.scenario.endswith("-iommu"), "rows": rows, "figures": figures,
       "explained": explained, "unexplained": unexplained, "problems": problems}
with open(os.path.join(os.path.dirname(os.path.abspath(a.log)), f"matrix-{a.scenario}.json"), "w") as f:
    json.dump(out, f, indent=1)

v.finish()
