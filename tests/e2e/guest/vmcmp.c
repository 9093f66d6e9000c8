/* vmcmp: reads a file (the capture kernel's /proc/vmcore) twice and reports what changed between the passes, at
 * 64-byte granularity: a 32-bit hash per 64-byte line from pass 1 is compared with pass 2. Also counts changed
 * lines holding the e2e frame signature, and prints the first changed offsets. Output: one "E2E:VMCORE ..." line
 * and up to 8 "E2E:VMCORE-AT ..." lines. A pass that cannot read the whole file (a read error, end of file before
 * the size fstat gave, or a read shorter than a line) prints "E2E:VMCORE error=read pass=N at=OFFSET ..." and exits 2:
 * a comparison over less than the dump must never read as "nothing changed". Built by the e2e harness with the
 * host's cc (libc only). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE 64
#define BUF (1 << 20)

static const char SIG[] = "PRECONFIG-E2E-DMA";

static uint32_t hash64(const unsigned char *p)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < LINE; i++) { h ^= p[i]; h *= 1099511628211ULL; }
    return (uint32_t)(h ^ (h >> 32));
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A pass that stopped short: says where and why, and fails the run. */
static int short_read(int pass, off_t off, ssize_t n, uint64_t lines)
{
    printf("E2E:VMCORE error=read pass=%d at=0x%llx rc=%lld lines=%llu\n", pass, (unsigned long long)off,
           (long long)n, (unsigned long long)lines);
    return 2;
}

static int has_sig(const unsigned char *p, size_t n)
{
    size_t k = sizeof SIG - 1;
    for (size_t i = 0; i + k <= n; i++) if (memcmp(p + i, SIG, k) == 0) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/proc/vmcore";
    int pause_s = argc > 2 ? atoi(argv[2]) : 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("E2E:VMCORE error=open\n"); return 2; }
    struct stat st;
    if (fstat(fd, &st) != 0) { printf("E2E:VMCORE error=stat\n"); return 2; }
    off_t size = st.st_size;
    unsigned char *buf = malloc(BUF + LINE);
    if (!buf) { printf("E2E:VMCORE error=memory\n"); return 2; }
    /* A size below 1 is a broken ELF core header (the arm64 one kexec-tools 2.0.25 built without _text had a
     * segment of nearly 2^64 bytes: the size overflowed), never a dump to size by reading it (that read oopsed). */
    if (size <= 0) { printf("E2E:VMCORE error=size size=%lld\n", (long long)size); return 2; }
    uint64_t lines = (uint64_t)size / LINE;
    uint32_t *h = malloc(lines * sizeof *h);
    if (!h) { printf("E2E:VMCORE error=memory lines=%llu\n", (unsigned long long)lines); return 2; }

    long long t0 = now_ms();
    uint64_t li = 0;
    off_t off = 0;
    while (li < lines) {
        ssize_t n = pread(fd, buf, BUF, off);
        if (n < LINE) return short_read(1, off, n, lines);
        for (ssize_t i = 0; i + LINE <= n && li < lines; i += LINE) h[li++] = hash64(buf + i);
        off += n - (n % LINE);
    }
    uint64_t read1 = li;
    long long t1 = now_ms();
    if (pause_s > 0) sleep((unsigned)pause_s);
    long long t2 = now_ms();

    uint64_t changed = 0, sig = 0, pages = 0, lastpage = (uint64_t)-1;
    int shown = 0;
    li = 0; off = 0;
    while (li < read1) {
        ssize_t n = pread(fd, buf, BUF, off);
        if (n < LINE) return short_read(2, off, n, lines);
        for (ssize_t i = 0; i + LINE <= n && li < read1; i += LINE, li++) {
            if (hash64(buf + i) == h[li]) continue;
            changed++;
            if (has_sig(buf + i, LINE)) sig++;
            uint64_t page = li * LINE / 4096;
            if (page != lastpage) { pages++; lastpage = page; }
            if (shown < 8) {
                printf("E2E:VMCORE-AT 0x%llx ", (unsigned long long)(li * LINE));
                for (int j = 0; j < LINE; j++) printf("%02x", buf[i + j]);
                printf("\n");
                shown++;
            }
        }
        off += n - (n % LINE);
    }
    long long t3 = now_ms();
    printf("E2E:VMCORE size=%lld lines=%llu changed_lines=%llu changed_bytes_max=%llu changed_pages=%llu "
           "signature_lines=%llu pass1_ms=%lld pass2_ms=%lld gap_ms=%lld\n",
           (long long)size, (unsigned long long)read1, (unsigned long long)changed,
           (unsigned long long)changed * LINE, (unsigned long long)pages, (unsigned long long)sig,
           t1 - t0, t3 - t2, t2 - t1);
    return 0;
}
