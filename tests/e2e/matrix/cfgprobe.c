/* cfgprobe: runs inside the QEMU guest of the device matrix. For every PCI function it finds out which config-space
 * bits software can change by writing and reading back (QEMU's own emulation is the oracle, not preconfig's tables),
 * restores them, and later sets every such bit to the opposite of firmware's value ("the kernel ran").
 *
 *   cfgprobe probe   probe every function under /sys/bus/pci/devices; keeps firmware's bytes and the masks in
 *                    /run/cfgprobe and prints per function:
 *                      E2E:SCOPE <addr> <one char per byte: see enum below>
 *                      E2E:WMASK <addr> <hex: bits that took the opposite value and came back>
 *                      E2E:AVOID <addr> <hex: bits never written as 1 (actions, hazards)>
 *                      E2E:NODIRTY <addr> <hex: writable bits left as they are by 'dirty'>
 *                      E2E:PROBE <addr> len=N probed=B writable_bits=W restored=yes|no [first_bad=0xOFF]
 *   cfgprobe dump P  E2E:XLEN/E2E:XCFG lines: every function's whole config space at phase P
 *   cfgprobe dirty   flip every writable bit (minus NODIRTY) from firmware's value; E2E:DIRTY <addr> <hex of the
 *                    bits that now differ from firmware> and E2E:DIRTIED <addr> flipped=N missed=M
 *
 * What is never written, and why (the host's check prints the same classes by name):
 *   R  resource assignment: BARs, expansion ROM, bridge bus numbers and windows (preinit refuses to move them)
 *   D  device-specific: bytes outside the header and the capability structures, and vendor-specific capability
 *      bodies; their writes have side effects no specification describes (q35 MCH PCIEXBAR/PAM/SMRAM remap memory,
 *      ICH9 LPC PMBASE/ACPI/PIRQ/RCBA, virtio's VIRTIO_PCI_CAP_PCI_CFG data window writes into the BAR)
 *   U  body of a capability this program does not know (compared, not written)
 *   X  a known capability's data window with side effects: SHPC DWORD data (drives the hot-plug controller),
 *      VPD address/data (starts a VPD cycle), SR-IOV (VF Enable creates functions)
 *   .  probed byte (its action bits are in AVOID)
 * Action bits (AVOID): BIST Start; Bridge Control Secondary Bus Reset; DevCtl Initiate FLR (not on PCIe-to-PCI
 * bridges, where bit 15 is Bridge Configuration Retry Enable); LnkCtl Link Disable and Retrain Link; SltCtl Power
 * Controller Control, Power Indicator and Electromechanical Interlock Control (QEMU unplugs the device when power and
 * indicator go off: hw/pci/pcie.c pcie_cap_slot_write_config); LnkCtl2 Enter Compliance; AF Initiate FLR; DPC
 * Software Trigger; Secondary PCIe Perform Equalization.
 * NODIRTY (writable, probed, but not dirtied): PM Control PowerState (D3hot stops the function; preinit by policy
 * does not change D-states); MSI-X/MSI vector data is dirtied like any other register.
 * Built by the e2e harness with the host's cc (libc only). Only the guest's devices are written. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXCFG 4096
#define DEVS "/sys/bus/pci/devices" // the guest's own devices: this prober runs inside the QEMU guest
#define KEEP "/run/cfgprobe"

enum { C_PROBE = '.', C_RES = 'R', C_DEV = 'D', C_UNKNOWN = 'U', C_HAZARD = 'X' };

struct fn {
    char addr[32];
    int len;
    unsigned char fw[MAXCFG], scope[MAXCFG], avoid[MAXCFG], nodirty[MAXCFG], wmask[MAXCFG];
};

static int cfg_open(const char *addr, int flags)
{
    char p[256];
    snprintf(p, sizeof p, DEVS "/%s/config", addr);
    return open(p, flags);
}

static int rd8(int fd, int off)
{
    unsigned char b;
    return pread(fd, &b, 1, off) == 1 ? b : -1;
}

static int wr8(int fd, int off, unsigned char v) { return pwrite(fd, &v, 1, off) == 1 ? 0 : -1; }

static unsigned u16(const unsigned char *c, int o) { return c[o] | c[o + 1] << 8; }
static unsigned u32(const unsigned char *c, int o) { return u16(c, o) | u16(c, o + 2) << 16; }

static void mark(struct fn *f, int off, int n, int cls)
{
    for (int i = off; i < off + n && i < f->len; i++) f->scope[i] = (unsigned char)cls;
}

/* A structure whose first hdr bytes are probed and whose next body bytes are of class cls; returns -1 ("marked"). */
static int header_only(struct fn *f, int p, int hdr, int body, int cls)
{
    mark(f, p, hdr, C_PROBE);
    if (body) mark(f, p + hdr, body, cls);
    return -1;
}

static void avoid16(struct fn *f, int off, unsigned bits)
{
    if (off + 1 >= f->len) return;
    f->avoid[off] |= bits & 0xff;
    f->avoid[off + 1] |= (bits >> 8) & 0xff;
}

/* Which bytes are probed and which bits never written, from firmware's bytes (header type, capability lists). */
static void classify(struct fn *f)
{
    const unsigned char *c = f->fw;
    int type = c[0x0e] & 0x7f;
    memset(f->scope, C_DEV, sizeof f->scope);
    memset(f->avoid, 0, sizeof f->avoid);
    memset(f->nodirty, 0, sizeof f->nodirty);
    mark(f, 0, 0x40, C_PROBE);
    f->avoid[0x0f] |= 0x40;                               /* BIST Start */
    if (type == 0) {
        mark(f, 0x10, 0x18, C_RES);                       /* BAR0..5 */
        mark(f, 0x30, 4, C_RES);                          /* expansion ROM */
    } else if (type == 1) {
        mark(f, 0x10, 8, C_RES);                          /* BAR0..1 */
        mark(f, 0x18, 3, C_RES);                          /* primary, secondary, subordinate bus */
        mark(f, 0x1c, 2, C_RES);                          /* I/O base, limit (0x1e: Secondary Status is probed) */
        mark(f, 0x20, 0x14, C_RES);                       /* memory, prefetchable windows, upper halves, I/O upper */
        mark(f, 0x38, 4, C_RES);                          /* expansion ROM */
        avoid16(f, 0x3e, 0x0040);                         /* Secondary Bus Reset */
    } else {
        mark(f, 0x10, 0x30, C_RES);                       /* CardBus: socket base, bus numbers, windows */
        avoid16(f, 0x3e, 0x0040);
    }

    int pcie_type = -1;
    if (u16(c, 0x06) & 0x10) {
        int p = c[0x34] & 0xfc, n = 0;
        while (p >= 0x40 && p < 0x100 && n++ < 48) {
            int id = c[p], len = 0;
            switch (id) {
            case 0x01: len = 8;                           /* Power Management */
                f->nodirty[p + 4] |= 0x03;                /* PowerState: D3hot would stop the function */
                break;
            case 0x05: {                                  /* MSI */
                unsigned fl = u16(c, p + 2);
                len = (fl & 0x80 ? 14 : 10) + (fl & 0x100 ? 10 : 0);
                break;
            }
            case 0x11: len = 12; break;                   /* MSI-X */
            case 0x10: {                                  /* PCI Express */
                unsigned fl = u16(c, p + 2);
                pcie_type = (fl >> 4) & 0xf;
                /* Version 1 (PCIe 1.1 §7.8): the Slot registers exist on ports with a slot, the Root registers on
                 * Root Ports and event collectors; an endpoint's structure ends after the Link registers (0x14),
                 * and QEMU treats what follows as device-specific bytes. Version 2: 0x3c bytes. */
                if ((fl & 0xf) >= 2) len = 0x3c;
                else len = (pcie_type == 4 || pcie_type == 10) ? 0x24 : (fl & 0x100) ? 0x1c : 0x14;
                if (pcie_type != 7) avoid16(f, p + 0x08, 0x8000);   /* Initiate FLR */
                avoid16(f, p + 0x10, 0x0030);                       /* Link Disable, Retrain Link */
                avoid16(f, p + 0x18, 0x0f00);                       /* PCC, Power Indicator, EIC (bits 8..11) */
                if (len > 0x30) avoid16(f, p + 0x30, 0x0010);       /* Enter Compliance */
                break;
            }
            case 0x0d: len = 8; break;                    /* bridge subsystem ids */
            case 0x12: len = 8; break;                    /* SATA */
            case 0x13: len = 6; f->avoid[p + 4] |= 0x01; break;   /* Advanced Features: Initiate FLR */
            case 0x0c:                                    /* SHPC: DWORD select probed, data window not */
                len = header_only(f, p, 4, 4, C_HAZARD);
                break;
            case 0x03:                                    /* VPD */
                len = header_only(f, p, 2, 6, C_HAZARD);
                break;
            case 0x09:                                    /* vendor-specific: header probed, body device-specific */
                len = header_only(f, p, 3, 0, C_DEV);
                break;
            default:
                len = header_only(f, p, 2, 2, C_UNKNOWN);
            }
            if (len > 0) mark(f, p, len, C_PROBE);
            p = c[p + 1] & 0xfc;
        }
    }
    if (f->len <= 0x100 || pcie_type < 0) return;
    int p = 0x100, n = 0;
    while (p >= 0x100 && p + 4 <= f->len && n++ < 96) {
        unsigned h = u32(c, p);
        if (h == 0 || h == 0xffffffff) break;
        int id = h & 0xffff, len = 0;
        switch (id) {
        case 0x0001: len = (pcie_type == 4 || pcie_type == 10) ? 0x38 : 0x2c; break;   /* AER (+ root regs) */
        case 0x0003: len = 12; break;                     /* Device Serial Number */
        case 0x000d: len = 8; break;                      /* ACS (egress vector left out: unknown size) */
        case 0x000e: len = 8; break;                      /* ARI */
        case 0x000f: len = 8; break;                      /* ATS */
        case 0x0018: len = 8; break;                      /* LTR */
        case 0x001e: len = 16; break;                     /* L1 PM Substates */
        case 0x001f: len = 12; break;                     /* PTM */
        case 0x001d: len = 0x18; avoid16(f, p + 6, 0x0040); break;   /* DPC: Software Trigger */
        case 0x0019: len = 12; f->avoid[p + 4] |= 0x01; break;       /* Secondary PCIe: Perform Equalization */
        case 0x0010:                                      /* SR-IOV */
            len = header_only(f, p, 4, 0x3c, C_HAZARD);
            break;
        case 0x0015:                                      /* Resizable BAR: a resource assignment */
            len = header_only(f, p, 4, 0x0c, C_RES);
            break;
        case 0x000b:                                      /* vendor-specific extended */
            len = header_only(f, p, 8, 0, C_DEV);
            break;
        default:
            len = header_only(f, p, 4, 4, C_UNKNOWN);
        }
        if (len > 0) mark(f, p, len, C_PROBE);
        int next = (h >> 20) & 0xffc;
        if (next <= p) break;
        p = next;
    }
}

static int load_fw(struct fn *f)
{
    int fd = cfg_open(f->addr, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = pread(fd, f->fw, MAXCFG, 0);
    close(fd);
    if (n < 64) return -1;
    f->len = n >= MAXCFG ? MAXCFG : (n >= 256 ? 256 : 64);
    return 0;
}

/* Hex of b[0..n), trailing zero bytes left out (extended config space is mostly zeros; the host pads). */
static void hexline(const char *tag, const char *addr, const unsigned char *b, int n)
{
    while (n > 0 && b[n - 1] == 0) n--;
    printf("E2E:%s %s ", tag, addr);
    for (int i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

static int keep(const struct fn *f, int save)
{
    char p[256];
    snprintf(p, sizeof p, KEEP "/%s", f->addr);
    int fd = save ? open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600) : open(p, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = save ? write(fd, f, sizeof *f) : read(fd, (void *)f, sizeof *f);
    close(fd);
    return n == (ssize_t)sizeof *f ? 0 : -1;
}

static void probe_one(struct fn *f)
{
    classify(f);
    memset(f->wmask, 0, sizeof f->wmask);
    int fd = cfg_open(f->addr, O_RDWR);
    if (fd < 0) { printf("E2E:PROBE %s error=open:%d\n", f->addr, errno); return; }
    int probed = 0, bits = 0, bad = -1;
    for (int o = 0; o < f->len; o++) {
        if (f->scope[o] != C_PROBE) continue;
        int v = rd8(fd, o);
        if (v < 0) { bad = o; break; }
        unsigned char av = f->avoid[o];
        unsigned char pat = (unsigned char)((~v & ~av) | (v & av));
        wr8(fd, o, pat);
        int r = rd8(fd, o);
        unsigned char took = (unsigned char)~(r ^ pat), changed = (unsigned char)(v ^ r);
        unsigned char wm = (unsigned char)(changed & took & ~av);
        /* Put back firmware's value: writable and avoided bits as they were, everything else as 0 (a 1 written
         * into a write-1-to-clear bit would clear it). */
        wr8(fd, o, (unsigned char)(v & (wm | av)));
        if (rd8(fd, o) != v && bad < 0) bad = o;
        f->wmask[o] = wm;
        probed++;
        for (unsigned char b = wm; b; b &= (unsigned char)(b - 1)) bits++;
    }
    close(fd);
    char scope[MAXCFG + 1];
    int sl = f->len;
    while (sl > 0 && f->scope[sl - 1] == C_DEV) sl--;     /* trailing device-specific bytes: implied */
    memcpy(scope, f->scope, sl);
    scope[sl] = 0;
    printf("E2E:SCOPE %s %s\n", f->addr, scope);
    hexline("WMASK", f->addr, f->wmask, f->len);
    hexline("AVOID", f->addr, f->avoid, f->len);
    hexline("NODIRTY", f->addr, f->nodirty, f->len);
    if (bad >= 0)
        printf("E2E:PROBE %s len=%d probed=%d writable_bits=%d restored=no first_bad=0x%x\n", f->addr, f->len, probed, bits, bad);
    else
        printf("E2E:PROBE %s len=%d probed=%d writable_bits=%d restored=yes\n", f->addr, f->len, probed, bits);
    if (keep(f, 1) != 0) printf("E2E:PROBE %s error=keep\n", f->addr);
}

static void dirty_one(struct fn *f)
{
    int fd = cfg_open(f->addr, O_RDWR);
    if (fd < 0) { printf("E2E:DIRTIED %s error=open:%d\n", f->addr, errno); return; }
    unsigned char diff[MAXCFG];
    int flipped = 0, missed = 0;
    memset(diff, 0, sizeof diff);
    for (int o = 0; o < f->len; o++) {
        unsigned char flip = (unsigned char)(f->wmask[o] & ~f->nodirty[o]);
        int cur = rd8(fd, o);
        if (cur < 0) break;
        if (flip) {
            unsigned char keepbits = (unsigned char)((f->wmask[o] & f->nodirty[o]) | f->avoid[o]);
            unsigned char v = (unsigned char)((~f->fw[o] & flip) | (cur & keepbits));
            wr8(fd, o, v);
            cur = rd8(fd, o);
            for (unsigned char b = flip; b; b &= (unsigned char)(b - 1)) flipped++;
            for (unsigned char b = (unsigned char)((cur ^ ~f->fw[o]) & flip); b; b &= (unsigned char)(b - 1)) missed++;
        }
        diff[o] = (unsigned char)(cur ^ f->fw[o]);
    }
    close(fd);
    hexline("DIRTY", f->addr, diff, f->len);
    printf("E2E:DIRTIED %s flipped=%d missed=%d\n", f->addr, flipped, missed);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(int argc, char **argv)
{
    int mode = argc < 2 ? 0 : !strcmp(argv[1], "probe") ? 1 : !strcmp(argv[1], "dirty") ? 2 : !strcmp(argv[1], "dump") ? 3 : 0;
    if (!mode || (mode == 3 && argc < 3)) {
        fprintf(stderr, "usage: cfgprobe probe | dirty | dump PHASE\n");
        return 2;
    }
    mkdir(KEEP, 0700);
    struct dirent **list;
    int n = scandir(DEVS, &list, NULL, by_name);
    if (n < 0) { printf("E2E:PROBE error=scandir\n"); return 2; }
    static struct fn f;
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] == '.') continue;
        memset(&f, 0, sizeof f);
        snprintf(f.addr, sizeof f.addr, "%.31s", list[i]->d_name);
        if (mode == 3) {
            /* E2E:XCFG <phase> <addr> <len> <hex>: the whole config space (the CFG lines carry 256 bytes only). */
            if (load_fw(&f) == 0) {
                char tag[64];
                snprintf(tag, sizeof tag, "XCFG %s", argv[2]);
                printf("E2E:XLEN %s %s %d\n", argv[2], f.addr, f.len);
                hexline(tag, f.addr, f.fw, f.len);
            }
        } else if (mode == 1) {
            if (load_fw(&f) == 0) probe_one(&f);
            else printf("E2E:PROBE %s error=read\n", f.addr);
        } else if (keep(&f, 0) == 0) {
            dirty_one(&f);
        } else {
            printf("E2E:DIRTIED %s error=not-probed\n", list[i]->d_name);
        }
        fflush(stdout);
    }
    return 0;
}
