#!/usr/bin/python3
"""QEMU's probed write masks against the specification table (src/ConfigSpace/Specification, the simulator's
oracle written from the PCI and PCI Express specifications), for the functions of a matrix run.

Usage: specmask.py WORK SCENARIO PRECONFIG
  Writes WORK/matrix-<scenario>-fw.lspci (firmware's config space of every function, lspci -xxxx text, from the
  serial log), runs `PRECONFIG sim masks lspci:THAT` (JSON "preconfig-spec-masks" version 1: per function, per
  register the spec's writable, rw1c, actions, optional and resource masks) and compares, bit by bit, over the bytes
  the guest probed (register by register, as the JSON lists them):
    qemu-only: QEMU lets software change a bit the specification makes read-only or reserved;
    spec-only: the specification makes a bit read-write (not optional) and QEMU hardwires it.
  Bits the probe never writes (actions, AVOID in cfgprobe.c) are left out, as are optional bits QEMU does not
  implement (an implementation choice the specification allows). Each difference is printed; it is explained only
  when a line of matrix/qemu-vs-spec.txt names its device type, register and every one of its bits (the QEMU-only
  and spec-only masks it covers); an unexplained one makes the exit status 1. Prints "E2E-MATRIX-SPEC <scenario> ..."
  and adds a "spec" section to WORK/matrix-<scenario>.json. A `sim masks` that fails, is missing or prints what this
  does not read fails too (exit 1, "E2E-MATRIX-SPEC <scenario> FAILED: why"): a comparison that did not run is no
  result."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registers import u16  # noqa: E402

work, scenario, preconfig = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
log = os.path.join(work, f"{scenario}.log")
res_path = os.path.join(work, f"matrix-{scenario}.json")

xlen, xcfg, wmask, avoid, scope = {}, {}, {}, {}, {}
for line in open(log, "rb").read().decode("latin-1").split("\n"):
    i = line.find("E2E:")
    if i < 0:
        continue
    w = line[i + 4:].rstrip("\r").split(" ")
    try:
        if w[0] == "XLEN" and w[1] == "fw":
            xlen[w[2]] = int(w[3])
        elif w[0] == "XCFG" and w[1] == "fw":
            xcfg[w[2]] = bytes.fromhex(w[3] if len(w) > 3 else "")
        elif w[0] in ("WMASK", "AVOID"):
            (wmask if w[0] == "WMASK" else avoid)[w[1]] = bytes.fromhex(w[2] if len(w) > 2 else "")
        elif w[0] == "SCOPE":
            scope[w[1]] = w[2] if len(w) > 2 else ""
    except (ValueError, IndexError):
        continue


def pad(b, n):
    return (b or b"") + bytes(max(0, n - len(b or b"")))


dump = os.path.join(work, f"matrix-{scenario}-fw.lspci")
with open(dump, "w") as f:
    for addr in sorted(xcfg):
        cfg = pad(xcfg[addr], xlen.get(addr, len(xcfg[addr])))
        f.write(f"{addr} Device {u16(cfg, 0):04x}:{u16(cfg, 2):04x}\n")
        for o in range(0, len(cfg), 16):
            f.write(f"{o:02x}: " + " ".join(f"{x:02x}" for x in cfg[o:o + 16]) + "\n")
        f.write("\n")

# qemu-vs-spec.txt: "TYPE[,TYPE...] STRUCTURE REGISTER  qemu-only=0xM spec-only=0xM  REASON" (fields apart by two
# spaces); every type named, no wildcard.
known = []   # (types, "structure register", qemu-only mask, spec-only mask, reason)
spec_file = os.path.join(here, "qemu-vs-spec.txt")
for i, line in enumerate(open(spec_file), 1):
    if not line.strip() or line.startswith("#"):
        continue
    parts = [p.strip() for p in line.split("  ") if p.strip()]
    try:
        key, masks, why = parts[0], dict(m.split("=") for m in parts[1].split()), parts[2]
        tlist, reg = key.split(" ", 1)
        entry = (set(tlist.split(",")), reg, int(masks["qemu-only"], 16), int(masks["spec-only"], 16), why)
    except (IndexError, ValueError, KeyError):
        sys.exit(f"{spec_file}:{i}: want 'TYPE[,TYPE...] STRUCTURE REGISTER  qemu-only=0xM spec-only=0xM  REASON': {line.strip()}")
    if "*" in entry[0]:
        sys.exit(f"{spec_file}:{i}: name the device types (no '*'): {line.strip()}")
    known.append(entry)


def explain(tname, reg, qemu_only, spec_only):
    """The reason of the line that covers this difference's type, register and every bit of it, else None."""
    for tys, kreg, qm, sm, why in known:
        if tname in tys and kreg == reg and not qemu_only & ~qm and not spec_only & ~sm:
            return why
    return None


out = {"status": "failed", "compared": 0, "differences": [], "explained": 0}
try:
    run = subprocess.run([preconfig, "sim", "masks", f"lspci:{dump}"], capture_output=True, text=True, timeout=120)
except OSError as e:
    run = None
    out["reason"] = f"{preconfig}: {e}"
if run is not None and run.returncode != 0:
    err = (run.stderr.strip().splitlines() or ["?"])[0]
    out["reason"] = f"'{preconfig} sim masks' exit {run.returncode}: {err}"
elif run is not None:
    try:
        table = json.loads(run.stdout)
    except ValueError as e:
        table = {"format": f"not JSON ({e})"}
    if table.get("format") != "preconfig-spec-masks" or table.get("version") != 1:
        out["reason"] = f"unexpected JSON format {table.get('format')} {table.get('version')}"
    else:
        out["status"] = "compared"
        types = {}
        for line in open(os.path.join(here, "devices.txt")):
            w = line.split()
            if w and not line.startswith("#") and len(w) >= 2:
                types[w[0]] = w[1]
        for fn in table["functions"]:
            addr = fn["address"]
            cfg = pad(xcfg.get(addr), xlen.get(addr, 0))
            if not cfg:
                continue
            n = len(cfg)
            wm, av, sc = pad(wmask.get(addr), n), pad(avoid.get(addr), n), (scope.get(addr, "") + "D" * n)[:n]
            tname = types.get(f"{u16(cfg, 0):04x}:{u16(cfg, 2):04x}", "?")
            for r in fn["registers"]:
                at, width = int(r["at"], 16), r["width"]
                if width > 4 or "writable" not in r or at + width > n or any(c != "." for c in sc[at:at + width]):
                    continue
                q = int.from_bytes(wm[at:at + width], "little")
                skip = int.from_bytes(av[at:at + width], "little") | int(r["actions"], 16)
                spec_w, opt = int(r["writable"], 16), int(r["optional"], 16)
                out["compared"] += 1
                qemu_only = q & ~spec_w & ~skip
                spec_only = spec_w & ~q & ~skip & ~opt
                if not qemu_only and not spec_only:
                    continue
                why = explain(tname, f"{r['structure']} {r['name']}", qemu_only, spec_only)
                d = {"address": addr, "type": tname, "structure": r["structure"], "register": r["name"], "at": r["at"],
                     "qemu_only": f"0x{qemu_only:x}", "spec_only": f"0x{spec_only:x}", "why": why}
                out["differences"].append(d)
        out["explained"] = sum(1 for d in out["differences"] if d["why"])

for d in out["differences"]:
    print(f"E2E-MATRIX-SPECDIFF {scenario} {d['address']} {d['type']} {d['structure']} {d['register']} @{d['at']} "
          f"qemu-only={d['qemu_only']} spec-only={d['spec_only']}: {d['why'] or 'not explained (matrix/qemu-vs-spec.txt)'}")
if out["status"] == "compared":
    print(f"E2E-MATRIX-SPEC {scenario} registers_compared={out['compared']} differences={len(out['differences'])} "
          f"explained={out['explained']}")
else:
    print(f"E2E-MATRIX-SPEC {scenario} FAILED: {out.get('reason')}")
unexplained = [d for d in out["differences"] if not d["why"]]
try:
    res = json.load(open(res_path))
    res["spec"] = out
    json.dump(res, open(res_path, "w"), indent=1)
except (OSError, ValueError):
    pass
# A difference nobody explained fails the scenario: either QEMU or the table changed, and someone must say which.
sys.exit(1 if unexplained or out["status"] != "compared" else 0)
