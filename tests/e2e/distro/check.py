#!/usr/bin/python3
"""Asserts the distro scenario (tests/e2e/distro/run.sh) from the guest's serial log, the /var/crash tree read back
from its disk, the image build's facts and lintian's output. Prints "e2e: PASS distro (<figures>)" or
"e2e: FAIL distro: <reasons>"; exit 0 on pass. Prometheus text is parsed with prometheus_client (Debian's
python3-prometheus-client), the parser fleets use, never a regex."""
import argparse
import json
import os
import sys

from prometheus_client.parser import text_string_to_metric_families
from e2elog import kv, read, records

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--facts", required=True)
ap.add_argument("--lintian", required=True)
ap.add_argument("--lintian-rc", type=int, default=0)
ap.add_argument("--qemu-rc", type=int, default=0)
ap.add_argument("--qemu-out")
ap.add_argument("--times", default="")
a = ap.parse_args()

NIC = "0000:00:02.0"
problems, figures = [], {}


def need(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


for k, v in kv(a.times.split()).items():
    figures[k] = v

# The serial log: "E2E: KIND rest" lines from guest/e2e-distro.
recs = records(a.log)


def one(kind):
    return (recs.get(kind) or [None])[0]


if a.qemu_rc == 124:
    problems.append("QEMU timed out")
elif a.qemu_rc != 0:
    tail = (read(a.qemu_out) or "").strip().splitlines()[-1:] if a.qemu_out else []
    problems.append(f"QEMU exit {a.qemu_rc}" + (f": {tail[0]}" if tail else ""))

# 1. The package: built, lintian clean, installed by apt-get with its postinst's work done.
lint = read(a.lintian) or ""
errors = [l for l in lint.splitlines() if l.startswith("E:")]
warnings = [l for l in lint.splitlines() if l.startswith("W:")]
figures["lintian"] = f"{len(errors)}E/{len(warnings)}W"
need(a.lintian_rc == 0 and not errors, "lintian errors: " + " | ".join(errors[:3]) if errors else f"lintian exit {a.lintian_rc}")
facts = {}
for line in (read(a.facts) or "").splitlines():
    if line.startswith("installed="):
        facts["installed"] = line.split("=", 1)[1]
    else:
        facts.update(kv(line.split()))
need(facts.get("installed", "").startswith("install ok installed"), f"apt-get install ./preconfig_*.deb: {facts.get('installed')}")
need(facts.get("key_mode") == "600" and facts.get("key_bytes") == "32",
     f"postinst key: mode {facts.get('key_mode')}, {facts.get('key_bytes')} bytes (want 0600, 32)")
need(facts.get("kdump_initrd_mode") == "600", f"kdump-tools' initramfs is mode {facts.get('kdump_initrd_mode')}, not 0600")
need(int(facts.get("units_enabled", 0)) >= 2, f"postinst enabled {facts.get('units_enabled')} preconfig units")

# 2. The first boot: systemd, preconfig.service, kdump-tools loaded with our image; key only in the kdump image.
boot = one("BOOT")
need(boot is not None and boot.startswith("first"), "the guest's first boot never reached e2e-distro.service")
need((one("KDUMP") or "").startswith("loaded=1"), f"kdump-tools did not load the capture kernel: {one('KDUMP')}")
ready = kv((one("READY") or "").split())
if ready.get("preconfig_ms", "0") != "0":
    figures["boot_to_preconfig_ready_s"] = round(int(ready["preconfig_ms"]) / 1000, 1)
    figures["boot_to_kdump_loaded_s"] = round(int(ready.get("kdump_ms", 0)) / 1000, 1)
need(ready.get("preconfig_result") == "success", f"preconfig.service: {one('READY')}")
show = " ".join(recs.get("KDUMPSHOW", []))
# Installing is enough (issue 22): kdump-tools loads its own image, untouched configuration, and that image carries
# this boot's handoff (preconfig-kdump-reload.service: kdump-tools' kernel hook + kdump-config try-reload).
need("/var/lib/kdump/initrd.img" in show and "/var/lib/preconfig" not in show,
     "kdump-config show does not name kdump-tools' own /var/lib/kdump/initrd.img")
need(facts.get("kdump_defaults_untouched") == "yes", f"/etc/default/kdump-tools was edited: {facts}")
refresh = one("REFRESH") or ""
rk = kv(refresh.split())
figures["refresh_s"] = rk.get("waited_s")
need(rk.get("result") == "success" and rk.get("loaded") == "1" and (" embedded: " in refresh or " current: " in refresh),
     f"the capture kernel was not given this boot's handoff: REFRESH {refresh}")
emb = kv((one("EMBEDDED") or "").split())
need(emb.get("handoff") == "1" and emb.get("same_as_daemon") == "yes",
     f"kdump-tools' image does not carry the daemon's handoff: {one('EMBEDDED')}")
status = None
try:
    status = json.loads(one("STATUSJSON") or "null")
except ValueError:
    problems.append("preconfig status --format json is not JSON")
if status:
    snap = status.get("snapshot") or {}
    figures["functions"] = snap.get("functions")
    figures["capture_ms"] = snap.get("captureMs")
    need((snap.get("functions") or 0) > 0, "the daemon captured no function")
    need(snap.get("signed") is True, "the handoff is not signed")
    bad = [s["store"] for s in status.get("stores", []) if not s.get("ok")]
    need(status.get("stores") and not bad, f"stores not written: {bad or 'none configured'}")
    # An early snapshot the daemon refused ends its warning with "; not used" (Capture/Merge/EarlySource.cs); the note
    # that the unit's --source replaces the configured sources is not about the early snapshot.
    unused = [w for w in snap.get("warnings", []) if w.endswith("; not used")]
    need(any("early:" in s for s in snap.get("sources", [])) and not unused,
         f"the daemon did not use the initramfs' early snapshot: {snap.get('sources')} {unused}")
modes = kv((one("MODES") or "").split())
need(modes.get("key") == "600" and modes.get("kdump_base") == "600" and modes.get("kdump_loaded_image") == "600"
     and modes.get("run") == "700" and modes.get("state") == "700",
     f"key, handoff, /run/preconfig or kdump images readable by others: {one('MODES')}")
places = kv((one("KEYPLACES") or "").split())
need(int(places.get("kdump", 0)) >= 1, "the key is not in kdump-tools' initramfs")
need(places.get("production") == "0", "the key is in the production initramfs")
need(int(places.get("hook_kdump", 0)) >= 1 and int(places.get("hook_production", 0)) >= 1,
     f"the hook is missing from an initramfs: {one('KEYPLACES')}")
dirty = [c for c in recs.get("CFG", []) if c.startswith("dirty")]
need(dirty and dirty[0].split()[2:4] == ["10", "5a"], f"the NIC was not dirtied (Cache Line Size 0x10, Interrupt Line 0x5a): {dirty}")
need("CRASH" in recs, "the guest never crashed")

# 3. The dump kdump-tools saved, and preconfig's report beside it.
crash = os.path.join(a.out, "crash")
stamps = sorted(d for d in (os.listdir(crash) if os.path.isdir(crash) else []) if d[:1] == "2" and os.path.isdir(os.path.join(crash, d)))
report = None
if need(stamps, "no /var/crash/<timestamp>/ on the disk: kdump-tools saved no dump"):
    d = os.path.join(crash, stamps[-1])
    names = os.listdir(d)
    figures["dump_dir"] = "/var/crash/" + stamps[-1]
    dump = [n for n in names if n.startswith("dump.")]
    if need(dump, f"no dump file in /var/crash/{stamps[-1]}: {names}"):
        p = os.path.join(d, dump[0])
        figures["dump_bytes"] = os.path.getsize(p)
        head = read(p, "rb")[:16] if os.path.getsize(p) else b""
        # kdump-tools runs makedumpfile -F (flattened: "makedumpfile" signature); -c without -F gives "KDUMP   ";
        # ELF when it fell back to cp.
        need(head.startswith((b"makedumpfile", b"KDUMP   ", b"\x7fELF")), f"{dump[0]} is not a makedumpfile dump: {head!r}")
    need(any(n.startswith("dmesg.") for n in names), f"no dmesg file beside the dump: {names}")
    rp = os.path.join(d, "preconfig-preinit.json")
    if need(os.path.isfile(rp), f"no preconfig-preinit.json beside the dump (have {names})"):
        figures["report"] = f"/var/crash/{stamps[-1]}/preconfig-preinit.json"
        try:
            report = json.loads(read(rp))
        except ValueError:
            problems.append("preconfig-preinit.json is not JSON")
if report is not None:
    figures["preinit_ms"] = report.get("elapsedMs")
    outcomes = {}
    for dev in report.get("devices", []):
        outcomes[dev.get("outcome")] = outcomes.get(dev.get("outcome"), 0) + 1
    figures["outcomes"] = ",".join(f"{k}:{v}" for k, v in sorted(outcomes.items(), key=str))
    nic = next((x for x in report.get("devices", []) if x.get("address") == NIC), None)
    need(nic is not None and nic.get("outcome") == "restored" and int(nic.get("writes", 0)) > 0,
         f"report: the dirtied NIC {NIC} was not restored: {nic}")

# 4. The next boot: `preconfig status` shows the last capture-kernel run; the fleet formats parse.
need(any(r.startswith("after-dump") for r in recs.get("BOOT", [])), "the guest did not boot again after the dump")
st = " ".join(recs.get("STATUSTEXT", []))
need("last capture-kernel run:" in st and "restored" in st, "preconfig status does not show the last capture-kernel run: " + st[-200:])


def metrics(path, what):
    body = read(path)
    if not need(body, f"{what}: {path} missing"):
        return {}
    out = {}
    try:
        for fam in text_string_to_metric_families(body):
            for s in fam.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    except Exception as e:  # the parser's own error is the finding
        problems.append(f"{what} does not parse as Prometheus text: {e}")
    return out


def value(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))))


for path, what in ((os.path.join(a.out, "e2e-status.prom"), "preconfig status --format prometheus"),
                   (os.path.join(a.out, "preconfig.prom"), "the daemon's textfile preconfig.prom")):
    m = metrics(path, what)
    if not m:
        continue
    need(value(m, "preconfig_status_present") == 1, f"{what}: status not present")
    need((value(m, "preconfig_functions_captured") or 0) > 0, f"{what}: no functions captured")
    need(value(m, "preconfig_handoff_signed") == 1, f"{what}: not signed")
    need(value(m, "preconfig_capture_kernel_run_present") == 1, f"{what}: no capture-kernel run")
    need((value(m, "preconfig_capture_kernel_run_functions", outcome="restored") or 0) >= 1, f"{what}: no function restored in the capture kernel")
    figures.setdefault("prometheus_series", len(m))
need("DONE" in recs, "the guest did not finish")

fig = " ".join(f"{k}={v}" for k, v in figures.items() if v is not None)
if problems:
    print("e2e: FAIL distro: " + "; ".join(dict.fromkeys(problems)) + f" ({fig})")
    sys.exit(1)
print(f"e2e: PASS distro ({fig})")
