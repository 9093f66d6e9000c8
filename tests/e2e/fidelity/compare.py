#!/usr/bin/python3
"""Dump fidelity from the moment of the crash: compares the vmcore the capture kernel wrote (an ELF core file at the
start of DISK) with the guest memory QEMU saved while the crashing kernel was paused (MEM: pmemsave of
guest-physical 0..size), page by page over the first kernel's RAM: every PT_LOAD segment of the vmcore (the capture
kernel's own crashkernel range is not one of them). Pages are 4 KiB, aligned on guest-physical addresses.
Prints "E2E-FIDELITY-PAGE ..." for the first changed pages (guest-physical address, bytes changed, whose they look
like: the test's NIC frames carry PRECONFIG-E2E-DMA, the disk's blocks PRECONFIG-E2E-IO) and one line
"E2E-FIDELITY-SUM pages_compared=P pages_changed=C bytes_changed=B nic_frame_pages=N disk_block_pages=D other_pages=O".
Usage: compare.py DISK MEM. Exit 2 when the vmcore or the memory file cannot be read whole."""
import struct
import sys

PAGE = 4096
disk, mem = sys.argv[1], sys.argv[2]


def fail(msg):
    print(f"E2E-FIDELITY-SUM error={msg}")
    sys.exit(2)


with open(disk, "rb") as d:
    eh = d.read(64)
    if eh[:4] != b"\x7fELF" or eh[4] != 2:
        fail("no-elf64-vmcore-on-disk")
    phoff, phentsize, phnum = struct.unpack_from("<Q", eh, 0x20)[0], *struct.unpack_from("<HH", eh, 0x36)
    d.seek(phoff)
    ph = d.read(phentsize * phnum)
    loads = []
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz = struct.unpack_from("<IIQQQQ", ph, i * phentsize)
        if p_type == 1 and p_filesz:
            loads.append((p_paddr, p_offset, p_filesz))
    if not loads:
        fail("no-pt-load")
    mf = open(mem, "rb")
    msize = mf.seek(0, 2)
    compared = changed = nbytes = nic = dsk = other = 0
    shown = 0
    seen = set()   # a page two segments hold (the kernel text's own PT_LOAD) is compared once
    for paddr, off, size in loads:
        if paddr + size > msize:
            fail(f"pt-load-0x{paddr:x}+0x{size:x}-beyond-saved-memory-0x{msize:x}")
        a = paddr
        while a < paddr + size:
            end = min((a // PAGE + 1) * PAGE, paddr + size)
            d.seek(off + a - paddr)
            v = d.read(end - a)
            mf.seek(a)
            m = mf.read(end - a)
            if len(v) != end - a or len(m) != end - a:
                fail(f"short-read-at-0x{a:x}")
            if a // PAGE in seen:
                a = end
                continue
            seen.add(a // PAGE)
            compared += 1
            if v != m:
                changed += 1
                n = sum(1 for x, y in zip(v, m) if x != y)
                nbytes += n
                who = "nic-frames" if b"PRECONFIG-E2E-DMA" in v else "disk-blocks" if b"PRECONFIG-E2E-IO" in v else "other"
                nic += who == "nic-frames"
                dsk += who == "disk-blocks"
                other += who == "other"
                if shown < 40:
                    print(f"E2E-FIDELITY-PAGE 0x{a & ~(PAGE - 1):x} bytes_changed={n} {who}")
                    shown += 1
            a = end
print(f"E2E-FIDELITY-SUM pages_compared={compared} pages_changed={changed} bytes_changed={nbytes} "
      f"nic_frame_pages={nic} disk_block_pages={dsk} other_pages={other}")
