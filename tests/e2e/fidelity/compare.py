#!/usr/bin/python3
"""Dump fidelity from the moment of the crash: compares the vmcore the capture kernel wrote (an ELF core file at the
start of DISK) with the guest memory QEMU saved while the crashing kernel was paused (MEM: pmemsave of
guest-physical 0..size), page by page over the first kernel's RAM: every PT_LOAD segment of the vmcore (the capture
kernel's own crashkernel range is not one of them). Pages are 4 KiB, aligned on guest-physical addresses.

Each changed page is named by whose bytes it now holds, first match wins:
  nic-frames       the test's frames (tests/e2e/sender.py: "PRECONFIG-E2E-DMA <seq>", 614-byte frames)
  nic-descriptors  every changed 16-byte slot is an e1000e receive descriptor written back for one of those frames:
                   status DD (bit 0 of the dword at +8) and length 614 (the u16 at +12), the write-back layout of
                   union e1000_rx_desc_extended (the kernel's drivers/net/ethernet/intel/e1000e/hw.h)
  disk-blocks      the test disk's blocks ("PRECONFIG-E2E-IO <block>", tests/e2e/fidelity/run.sh)
  crash-notes      a CPU's crash notes (crash_save_cpu writes them on the way to kexec; addresses from the first
                   kernel's /sys/devices/system/cpu/cpuN/crash_notes)
  vmcoreinfo       the VMCOREINFO note (crash_save_vmcoreinfo adds CRASHTIME; /sys/kernel/vmcoreinfo)
  kernel-image     the crashing kernel's own image, its data and bss above all (jiffies-stamped state, the printk
                   ring's last lines): the first kernel's /proc/iomem "Kernel code/rodata/data/bss" ranges
  other            anything else: printed with its first changed bytes for a reader
Prints "E2E-FIDELITY-PAGE ..." for the first changed pages and one line "E2E-FIDELITY-SUM pages_compared=P
pages_changed=C bytes_changed=B frames_after_crash=F <class>_pages=N ...", F being the test frames in the dump that
saved memory did not hold (at one frame a second, about the seconds the NIC kept writing after the crash).
Usage: compare.py DISK MEM [--crash-notes HEX+DEC,...] [--vmcoreinfo 0xHEX+HEX] [--kernel-image HEX-HEX,...] (as
the first kernel's sysfs and /proc/iomem print them; an iomem range's end is inclusive). Exit 2 when the vmcore or the memory file cannot be read whole."""
import re
import struct
import sys

PAGE = 4096
FRAME = re.compile(rb"PRECONFIG-E2E-DMA (\d{8})")
CLASSES = ("nic-frames", "nic-descriptors", "disk-blocks", "crash-notes", "vmcoreinfo", "kernel-image", "other")
disk, mem = sys.argv[1], sys.argv[2]
opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))


def fail(msg):
    print(f"E2E-FIDELITY-SUM error={msg}")
    sys.exit(2)


def ranges(text, size_base):
    out = []
    for item in (text or "").split(","):
        if "+" in item and not item.startswith("none"):
            a, n = item.split("+", 1)
            out.append((int(a, 16), int(n, size_base)))
    return out


known = [("crash-notes", a, n) for a, n in ranges(opts.get("--crash-notes"), 10)] + \
        [("vmcoreinfo", a, n) for a, n in ranges(opts.get("--vmcoreinfo"), 16)] + \
        [("kernel-image", int(a, 16), int(b, 16) + 1 - int(a, 16))
         for a, b in (r.split("-", 1) for r in (opts.get("--kernel-image") or "").split(",") if "-" in r)]


def descriptors_only(v, m):
    """Every changed 16-byte slot holds a receive descriptor written back for a 614-byte frame."""
    slots = {i // 16 for i in range(PAGE) if v[i] != m[i]}
    return all(v[s * 16 + 8] & 1 and struct.unpack_from("<H", v, s * 16 + 12)[0] == 614 for s in slots)


def classify(addr, v, m):
    if b"PRECONFIG-E2E-DMA" in v:
        return "nic-frames"
    if len(v) == PAGE and descriptors_only(v, m):
        return "nic-descriptors"
    if b"PRECONFIG-E2E-IO" in v:
        return "disk-blocks"
    for name, a, n in known:
        if a < addr + len(v) and addr < a + n:
            return name
    return "other"


with open(disk, "rb") as d, open(mem, "rb") as mf:
    eh = d.read(64)
    if len(eh) < 64 or eh[:4] != b"\x7fELF" or eh[4] != 2:
        fail("no-elf64-vmcore-on-disk")
    phoff, (phentsize, phnum) = struct.unpack_from("<Q", eh, 0x20)[0], struct.unpack_from("<HH", eh, 0x36)
    d.seek(phoff)
    ph = d.read(phentsize * phnum)
    if len(ph) != phentsize * phnum:
        fail(f"short-program-headers-at-0x{phoff:x}")
    loads = []
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz = struct.unpack_from("<IIQQQQ", ph, i * phentsize)
        if p_type == 1 and p_filesz:
            loads.append((p_paddr, p_offset, p_filesz))
    if not loads:
        fail("no-pt-load")
    saved = mf.read()
    saved_frames = {int(x) for x in FRAME.findall(saved)}
    counts = dict.fromkeys(CLASSES, 0)
    compared = changed = nbytes = shown = 0
    new_frames = set()
    seen = set()   # a page two segments hold (the kernel text's own PT_LOAD) is compared once
    for paddr, off, size in loads:
        if paddr + size > len(saved):
            fail(f"pt-load-0x{paddr:x}+0x{size:x}-beyond-saved-memory-0x{len(saved):x}")
        d.seek(off)
        seg = d.read(size)
        if len(seg) != size:
            fail(f"short-read-of-pt-load-0x{paddr:x}-at-file-offset-0x{off + len(seg):x}")
        a = paddr
        while a < paddr + size:
            end = min((a // PAGE + 1) * PAGE, paddr + size)
            if a // PAGE not in seen:
                seen.add(a // PAGE)
                compared += 1
                v, m = seg[a - paddr:end - paddr], saved[a:end]
                if v != m:
                    changed += 1
                    n = sum(1 for x, y in zip(v, m) if x != y)
                    nbytes += n
                    who = classify(a, v, m)
                    counts[who] += 1
                    new_frames |= {int(x) for x in FRAME.findall(v)} - saved_frames
                    if shown < 60:
                        i = next(i for i in range(len(v)) if v[i] != m[i]) & ~15
                        detail = f" at+0x{i:x} now={v[i:i + 16].hex()} was={m[i:i + 16].hex()}" if who == "other" else ""
                        print(f"E2E-FIDELITY-PAGE 0x{a & ~(PAGE - 1):x} bytes_changed={n} {who}{detail}")
                        shown += 1
            a = end
span = f" frame_seqs={min(new_frames)}..{max(new_frames)}" if new_frames else ""
print(f"E2E-FIDELITY-SUM pages_compared={compared} pages_changed={changed} bytes_changed={nbytes} "
      f"frames_after_crash={len(new_frames)}{span} "
      + " ".join(f"{c.replace('-', '_')}_pages={counts[c]}" for c in CLASSES))
