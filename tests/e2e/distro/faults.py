#!/usr/bin/python3
"""Asserts the distro-faults scenario (tests/e2e/distro/run.sh CACHE WORK distro-faults) from the guest's serial log
(guest/e2e-distro-faults) and the /var/crash tree read back from its disk. For each fault: kdump-tools loaded the
capture kernel (kexec_crash_loaded 1, kdump-tools.service succeeded), makedumpfile wrote the dump (its file header:
"makedumpfile" for -F flattened, "KDUMP   " for compressed), and `preconfig status` named what went wrong. After the
purge: kdump-tools loads an image without preconfig and dumps. Prints "e2e: PASS distro-faults (<figures>)" or
"e2e: FAIL distro-faults: <reasons>"."""
import argparse
import sys

from e2elog import kv, records

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--qemu-rc", type=int, default=0)
ap.add_argument("--qemu-out")
ap.add_argument("--times", default="")
a = ap.parse_args()
problems, figures = [], {}


def need(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


figures.update(kv(a.times))
recs = records(a.log)


def of_phase(kind, phase):
    return [r for r in recs.get(kind, []) if kv(r).get("phase") == str(phase)]


def first(kind, phase):
    return (of_phase(kind, phase) or [None])[0]


def status_text(phase):
    return " | ".join(r.split(" ", 1)[1] if " " in r else "" for r in of_phase("STATUS", phase))


if a.qemu_rc == 124:
    problems.append("QEMU timed out")
elif a.qemu_rc != 0:
    problems.append(f"QEMU exit {a.qemu_rc}")

# Boot 1: installing was enough: kdump-tools' own image carries the handoff and is loaded.
emb = kv(first("EMBEDDED", 1))
need(emb.get("handoff") == "1", f"boot 1: kdump-tools' image does not carry the handoff: {first('EMBEDDED', 1)}")

# Each fault: (name, the boot that broke it, the boot after the crash, what `preconfig status` must say then).
FAULTS = [
    ("step-failing", 1, 2, ["kdump initramfs:", " failed: ", "previous kdump initramfs is back"], 1),
    ("other-key", 2, 3, ["kdump initramfs:", "does not verify with /etc/preconfig/handoff.key", "quiesced"], 3),
    ("binary-crashing", 3, 4, ["no preinit report", "preinit: exit 139"], 4),
]
for name, broke, after, says, status_phase in FAULTS:
    fault = kv(first("FAULT", broke))
    crash = kv(first("CRASH", broke))
    need(fault.get("name") == name, f"{name}: the guest never broke preconfig that way (boot {broke})")
    need(crash.get("loaded") == "1" and crash.get("kdump_result") == "success",
         f"{name}: kdump-tools did not stay loaded before the crash: {first('CRASH', broke)}")
    dump = kv(first("DUMP", after))
    dump_ok = need(int(dump.get("bytes", 0)) > 0 and dump.get("head", "").startswith(("makedumpfile", "KDUMP")),
                   f"{name}: no makedumpfile dump after the crash: {first('DUMP', after)}")
    need(int(dump.get("dumps", 0)) == broke, f"{name}: {dump.get('dumps')} dump directories after crash {broke}")
    st = status_text(status_phase)
    missing = [s for s in says if s not in st]
    need(not missing, f"{name}: preconfig status (boot {status_phase}) does not say {missing}: {st[-300:]}")
    # What status said, shortest: the line naming the fault.
    said = next((l for l in st.split(" | ") if says[1] in l or says[0] in l), "")
    figures[f"{name}_dump_bytes"] = dump.get("bytes")
    figures[f"{name}_status"] = '"' + said.strip()[:140] + '"'

# The key fault's capture kernel had no handoff: it only quiesced; the crashing one left its note.
need("quiesced" in (first("OUTCOMES", 3) or ""), f"other-key: the capture kernel did not quiesce: {first('OUTCOMES', 3)}")
need("exit 139" in (first("NOTE", 4) or ""), f"binary-crashing: the note beside the dump: {first('NOTE', 4)}")

# Purge: kdump-tools loads an image without preconfig and dumps.
purged = kv(first("PURGED", 4))
need(purged.get("image_preconfig_files") == "0" and purged.get("etc_preconfig") == "0"
     and purged.get("var_lib_preconfig") == "no" and "ok_installed" not in purged.get("dpkg", ""),
     f"purge left preconfig behind: {first('PURGED', 4)}")
need(purged.get("loaded") == "1", f"purge: no capture kernel loaded afterwards: {first('PURGED', 4)}")
pdump = kv(first("DUMP", 5))
need(int(pdump.get("bytes", 0)) > 0 and pdump.get("head", "").startswith(("makedumpfile", "KDUMP"))
     and pdump.get("report") == "none", f"purge: kdump-tools alone did not dump (or preconfig still ran): {first('DUMP', 5)}")
figures["purged_dump_bytes"] = pdump.get("bytes")
need(any(r.startswith("phase=5") for r in recs.get("DONE", [])), "the guest did not finish (boot 5)")

fig = " ".join(f"{k}={v}" for k, v in figures.items() if v is not None)
if problems:
    print("e2e: FAIL distro-faults: " + "; ".join(dict.fromkeys(problems)) + f" ({fig})")
    sys.exit(1)
print(f"e2e: PASS distro-faults ({fig})")
