#!/usr/bin/python3
"""Asserts a device-matrix scenario (matrix, matrix-iommu) from its serial log and prints
"e2e: PASS <scenario> (...)" or "e2e: FAIL <scenario>: ...", one E2E-MATRIX-FN line per function, and writes
WORK/matrix-<scenario>.json for table.py. Exit 0 on pass.

What the guest printed (matrix/cfgprobe.c, matrix/lib.sh): firmware's config space (fw), the writable bits QEMU
let the probe change (WMASK; SCOPE says which bytes were probed), what the dirtying changed (DIRTY), config space in
the capture kernel before and after the boot hook, whether each driver works in both kernels, /proc/vmcore read
twice before and after the hook. Judged here, independently of preconfig's code:
  - every device type devices.txt lists is in the machine (less the ones LEFT_OUT names for it), and preinit's
    outcome for every function is the one devices.txt expects (restored, or another outcome with its reason);
  - every dirtied bit of every register reached the capture kernel, except the kernel's own changes (KERNEL);
  - after the hook every writable bit equals firmware's, except the bits a rule names (RULES: the bits, the
    direction they must take (off, on, as found before the hook, not raised) and why), each checked;
  - resource registers (BARs, ROM, windows, bus numbers) equal firmware's (never dirtied, never moved), and
    device-specific bytes (never written) read the same before and after the hook;
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

OUTCOMES = ("restored", "quiesced", "skipped", "left-to-kernel")
types = {}   # vendor:device -> (type name, check kind, preinit's expected outcome, its reason)
for i, line in enumerate(open(os.path.join(here, "devices.txt")), 1):
    w = line.split()
    if not w or line.startswith("#"):
        continue
    if len(w) < 5 or w[4] not in OUTCOMES or (w[4] != "restored") != (len(w) > 5):
        sys.exit(f"matrix/devices.txt:{i}: want 'ID TYPE MODULES CHECK OUTCOME [REASON]' with OUTCOME one of "
                 f"{', '.join(OUTCOMES)} and a reason for any but restored: {line.strip()}")
    types[w[0]] = (w[1], w[3], w[4], " ".join(w[5:]))
# Device types a machine leaves out, with the reason (matrix/machine.sh builds the machines).
LEFT_OUT = {"matrix-iommu": {"lsi53c895a": "its SCRIPTS fetches fault in QEMU 7.2's VT-d (docs/e2e-matrix.md)"}}

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

CMD_BM, CMD_INTX = 0x0004, 0x0400
# What preinit leaves in a register where it does not put back firmware's value: each rule names its bits, the
# direction they must take after the hook, and why (docs/preinit.md "What is not restored, and why", i.e.
# Planning/LeftAlone.cs: the kernel's rules, not the report). Expectations:
#   off / on       the bits must read 0 / 1 after the hook;
#   found          the bits must equal the capture kernel's before the hook (preinit left them alone);
#   not-raised     a field kept as found or lowered, never raised (Max Payload Size: pci_configure_mps()).
# Every writable bit no rule names must equal firmware's after the hook. (register, endpoints only, bits, expect, why)
RULES = [
    ("Command", True, CMD_BM, "off", "Bus Master off on an endpoint: a driver enables DMA when it probes (policy busMaster)"),
    ("Command", True, CMD_INTX, "on", "INTx Disable on for an endpoint: pci_enable_device() clears it for a driver that "
                                      "uses INTx (policy intx)"),
    ("MSI.Flags", False, 0x0001, "off", "MSI Enable off: a driver enables its vectors"),
    ("MSIX.Flags", False, 0x8000, "off", "MSI-X Enable off: a driver enables its vectors (the table lives in BAR memory)"),
    ("PM.Ctrl", False, 0x0103, "found", "PM Control PowerState and PME_En as found: the kernel owns D-states "
                                        "(pci_set_power_state(), pci_pme_active())"),
    ("PM.Ctrl", False, 0x1e00, "found", "PM Control Data_Select as found: it selects what the read-only Data register shows"),
    ("PCIe.DevCtl", False, 0x00e0, "not-raised", "DevCtl Max Payload Size: the kernel's (pci_configure_mps()), kept or "
                                                 "lowered to the parent port's"),
    ("PCIe.DevCtl2", False, 0x0020, "found", "DevCtl2 ARI Forwarding Enable as found: pci_configure_ari() sets it"),
    ("ACS.Ctrl", False, 0xffff, "found", "ACS Control as found: the kernel sets ACS by its IOMMU policy (pci_enable_acs())"),
    ("ARI.Ctrl", False, 0xffff, "found", "ARI Control as found: the kernel's (pci_configure_ari())"),
    ("L1SS.Ctl1", False, 0xffffffff, "found", "L1 PM Substates as found: restored only with the link partner"),
    ("L1SS.Ctl2", False, 0xffffffff, "found", "L1 PM Substates as found: restored only with the link partner"),
]
# The structures (register name prefixes) preinit restores; a writable register elsewhere is "every other
# capability": left as found (its driver or the kernel owns it).
RESTORED = ("PM.", "MSI.", "MSIX.", "PCIe.", "AER.", "LTR.", "L1SS.", "PTM.", "DPC.", "ACS.", "ARI.")
OTHER_CAP = "a capability preinit does not restore, as found (its driver or the kernel owns it)"
# What preinit does to a function whose outcome is not "restored" (devices.txt names the outcome and its reason).
QUIESCE = [r for r in RULES if r[3] in ("off", "on")]


# The functions the test's policy resets (guest/reset-nic.policy: "resetOnly"), and how: a register they leave "as
# found" may read as the reset left it, which is firmware's power-on value, instead of the value before the hook.
RESET = {DMANIC: "reset through its root port (guest/reset-nic.policy)"}


# The boot VGA (the machine's only VGA, the console firmware set up: sysfs boot_vga 1): its Bus Master and decode are
# the kernel's (drivers/pci/vgaarb.c; the console's framebuffer is in its BAR), as found whatever the outcome.
BOOT_VGA = {"VGA"}
BOOT_VGA_RULE = ("Command", True, CMD_BM | 0x0003, "found",
                 "the boot VGA's Bus Master and decode as found: vgaarb's default device, the console's framebuffer")


def rules_for(name, endpoint, outcome, reset, tname=""):
    """[(bits, expect, why)] for register `name` under the function's expected outcome."""
    if outcome in ("skipped", "left-to-kernel"):
        return [(0xffffffff, "found", f"preinit leaves a {outcome} function as found")]
    if tname in BOOT_VGA and name == BOOT_VGA_RULE[0]:
        return [(BOOT_VGA_RULE[2], BOOT_VGA_RULE[3], BOOT_VGA_RULE[4])] + rules_for(name, endpoint, outcome, reset)
    out = [(b, "found-or-reset" if e == "found" and reset else e, w + (f"; {reset}" if reset and e == "found" else ""))
           for n, ep_only, b, e, w in (QUIESCE if outcome == "quiesced" else RULES)
           if n == name and (endpoint or not ep_only)]
    if outcome == "quiesced":
        out.append((0xffffffff, "found", "a quiesced function is not restored: everything else as found"))
    elif "." in name and not name.startswith(RESTORED):
        out.append((0xffffffff, "found-or-reset" if reset else "found", OTHER_CAP))
    return out


def mps(v):
    return (v >> 5) & 7


def judge(name, W, f0, b, f1, rules):
    """(failures, explained): every writable bit W of a register checked against its rule, or against firmware's
    value f0 when no rule names it. b and f1: the register before and after the hook."""
    fails, expl, left = [], [], W
    for bits, expect, why in rules:
        m = bits & left
        if not m:
            continue
        left &= ~m
        if expect == "off":
            ok = not f1 & m
        elif expect == "on":
            ok = f1 & m == m
        elif expect == "found":
            ok = b is not None and (f1 ^ b) & m == 0
        elif expect == "found-or-reset":
            ok = b is not None and (f1 ^ b) & m == 0 or (f1 ^ f0) & m == 0
        else:   # not-raised
            ok = b is not None and mps(f1) <= mps(b)
        want = {"off": "0", "on": f"0x{m:x}", "found": f"before-hook 0x{(b or 0) & m:x}",
                "found-or-reset": f"before-hook 0x{(b or 0) & m:x} or firmware's 0x{f0 & m:x}",
                "not-raised": f"<= before-hook 0x{(b or 0) & m:x}"}[expect]
        text = f"bits 0x{m:x} {expect} (after 0x{f1 & m:x}, want {want}): {why}"
        (expl if ok else fails).append(text)
    if (f0 ^ f1) & left:
        fails.append(f"bits 0x{(f0 ^ f1) & left:x} differ from firmware's (no rule names them)")
    return fails, expl


# The kernel's own changes between the crash and the hook: dirtied bits the capture kernel sets back while it
# enumerates, so they cannot reach preinit. Each names its bits, the device types it applies to (None: any) and the
# kernel function that does it (Linux 6.1); a dirtied bit that did not survive and is not here fails the scenario.
# (register, bits, types, why)
KERNEL = [
    ("MSI.Flags", 0x0001, None, "pci_msi_init() (drivers/pci/msi/pcidev_msi.c) clears MSI Enable"),
    ("MSIX.Flags", 0x8000, None, "pci_msix_init() (drivers/pci/msi/pcidev_msi.c) clears MSI-X Enable"),
    ("BridgeControl", 0x0002, None, "pci_configure_serr() (drivers/pci/probe.c) sets SERR# Enable on every bridge"),
    ("PCIe.DevCtl2", 0x0020, None, "pci_configure_ari() (drivers/pci/pci.c) clears ARI Forwarding Enable above a "
                                   "device without ARI"),
    ("PCIe.LnkCtl", 0x0040, None, "pcie_aspm_configure_common_clock() (drivers/pci/pcie/aspm.c) sets Common Clock "
                                  "Configuration on both ends of a link to whether both report Slot Clock"),
    ("ACS.Ctrl", 0x001d, None, "pci_std_enable_acs() (drivers/pci/pci.c; pci_enable_acs() with an IOMMU on) sets "
                               "Source Validation, Request Redirect, Completion Redirect and Upstream Forwarding"),
    ("Command", 0x0406, {"qemu-xhci"}, "quirk_usb_early_handoff() (drivers/usb/host/pci-quirks.c) takes the USB "
                                      "controller from firmware between pci_enable_device() (Memory on, INTx "
                                      "Disable off) and pci_disable_device() (Bus Master off)"),
]

rows = []          # one per function
notes = []
unexplained, explained, lost, kernel_changed = [], [], [], []
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
    tname, kind, want, want_why = types.get(vid, (vid, "unknown", "?", ""))
    is_bridge = fw[0x0e] & 0x7f == 1
    row = {"address": addr, "id": vid, "type": tname, "kind": kind, "bridge": is_bridge,
           "secondary": fw[0x19] if is_bridge else None, "subordinate": fw[0x1a] if is_bridge else None,
           "checked": 0, "dirtied": 0, "survived": 0, "mismatched": [], "explained": [], "resources": 0,
           "device_specific_changed": [], "before": [], "after": [], "preinit": "absent", "expected": want,
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
    # The outcome comes from the test (devices.txt), never from preinit's report: any other outcome fails.
    got = (report.get(addr) or {}).get("outcome", "absent")
    row["preinit"] = got
    if got != want:
        unexplained.append(f"{addr} {tname}: preinit's outcome {got} ({(report.get(addr) or {}).get('reason')}); "
                           f"devices.txt expects {want}" + (f" ({want_why})" if want_why else ""))
    if after is None or before is None:
        problems.append(f"{addr}: no config space {'after' if after is None else 'before'} the hook (function gone?)")
        rows.append(row)
        continue
    for o, w, name in registers(fw):
        cls = set(sc[o:o + w])
        W, N = val(wm, o, w), val(nd, o, w)
        f0, b, f1 = val(fw, o, w), val(before, o, w), val(after, o, w)
        if "R" in cls:
            n_resources += 1
            row["resources"] += 1
            ref, what = (b, "before-hook") if want in ("skipped", "left-to-kernel") else (f0, "firmware's")
            if ref != f1:
                unexplained.append(f"{addr} {name} {what} 0x{ref:x} after 0x{f1:x} (resource register)")
            continue
        if cls & {"D", "U", "X"} or name.startswith("config["):
            # Never written by the test, never preinit's to write: before the hook must equal after it.
            if b != f1 and not (addr in RESET and f0 == f1):   # a reset puts them back to power-on values
                unexplained.append(f"{addr} {name} before-hook 0x{b:x} after 0x{f1:x}: preinit wrote a device-specific "
                                   "register (never written by the test; preinit replays only what the specifications define)")
            elif f0 != f1:
                row["device_specific_changed"].append(name)
                n_devspec_changed += 1
                notes.append(f"{addr} {name} firmware 0x{f0:x}, 0x{f1:x} before and after the hook (device-specific: "
                             "the first kernel changed it, preinit left it as found)")
            continue
        if not W:
            continue
        row["checked"] += 1
        n_checked += 1
        D = val(dd, o, w) & W & ~N
        if D:
            row["dirtied"] += 1
            n_dirtied += 1
            # Survival per register: every dirtied bit reached the capture kernel, or the kernel's own change
            # (named in KERNEL) put it back before the hook.
            gone = D & ~(b ^ f0)
            for kname, kbits, ktypes, kwhy in KERNEL:
                if kname == name and gone & kbits and (ktypes is None or tname in ktypes):
                    kernel_changed.append(f"{addr} {name} bits 0x{gone & kbits:x}: {kwhy}")
                    gone &= ~kbits
            if gone:
                lost.append(f"{addr} {name} bits 0x{gone:x} (dirtied 0x{D:x}, firmware 0x{f0:x}, before-hook 0x{b:x})")
            elif D & (b ^ f0):
                row["survived"] += 1
                n_survived += 1
        fails, expl = judge(name, W, f0, b, f1, rules_for(name, not is_bridge, want, RESET.get(addr), tname))
        entry = f"{addr} {name} firmware 0x{f0:x} before-hook 0x{b:x} after 0x{f1:x} (writable 0x{W:x})"
        if fails:
            row["mismatched"].append(name)
            unexplained.append(f"{entry}: " + "; ".join(fails))
        elif (f0 ^ f1) & W:
            row["explained"].append(name)
            explained.append(f"{entry}: " + "; ".join(expl))
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
for e in kernel_changed:
    print(f"E2E-MATRIX-KERNEL {a.scenario} {e}")
for e in unexplained:
    print(f"E2E-MATRIX-MISMATCH {a.scenario} {e}")
for e in lost:
    print(f"E2E-MATRIX-LOST {a.scenario} {e}")
for e in notes:
    print(f"E2E-MATRIX-NOTE {a.scenario} {e}")

# Verdicts.
need("DONE" in marks, "capture kernel did not finish")
kinds = {r["type"] for r in rows}
left_out = LEFT_OUT.get(a.scenario, {})
claimed = {t for t, *_ in types.values()} - set(left_out)
figures.update(device_types=len(kinds), functions=len(rows), registers_checked=n_checked,
               dirtied=n_dirtied, survived=n_survived, kernel_changed=len(kernel_changed),
               mismatches=len(explained) + len(unexplained), explained=len(explained), unexplained=len(unexplained),
               resources_compared=n_resources)
need(kinds >= claimed, f"{len(kinds & claimed)} of the {len(claimed)} device types devices.txt lists for this machine; "
     f"missing: {sorted(claimed - kinds)}")
need(not kinds & set(left_out), f"{sorted(kinds & set(left_out))} in a machine said to leave them out")
need(n_dirtied > 0 and not lost, f"{len(lost)} of {n_dirtied} dirtied registers lost dirtied bits before the hook "
     "that no kernel change in KERNEL explains: " + "; ".join(lost[:4]))
need(not unexplained, f"{len(unexplained)} function(s)/register(s) not as devices.txt and the rules expect after preinit: "
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
