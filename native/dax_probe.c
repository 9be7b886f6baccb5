/*
 * dax-probe: exercises mmap of one file the way programs do, for the tests of
 * libfamfs-dax.so (run it with and without LD_PRELOAD). Prints "ok ..." lines, one
 * "backing ADDR PATH" line per mapping checked (the file /proc/self/maps names behind
 * it), and exits non-zero with a "FAIL ..." line on any difference.
 *
 *   dax-probe read FILE OFF LEN shared|private     map, compare with pread, munmap
 *   dax-probe cow FILE                              MAP_PRIVATE|PROT_WRITE: write, file unchanged
 *   dax-probe partial FILE                          munmap pieces of one mapping
 *   dax-probe fork FILE                             child writes through MAP_SHARED, parent sees it
 *   dax-probe fixed FILE OFF                        MAP_FIXED over a reservation
 *   dax-probe eof FILE                              the bytes and faults past the end
 *   dax-probe mremap FILE                           mremap of a mapping
 *   dax-probe store FILE OFF TEXT                   MAP_SHARED read/write: store TEXT at OFF, msync
 *   dax-probe watch FILE OFF TEXT SECONDS           MAP_SHARED read-only: one mapping, polled until
 *                                                   it holds TEXT at OFF (exit 0) or SECONDS pass
 *                                                   (exit 1); prints "watching ..." once mapped
 *   dax-probe hold FILE SECONDS                     MAP_SHARED read-only: load every byte, print
 *                                                   "held ..." with a checksum, keep the mapping
 *                                                   SECONDS (bench/dax.sh: memory of N readers)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ps;

#define FAIL(...) do { printf("FAIL "); printf(__VA_ARGS__); printf("\n"); exit(1); } while (0)

static void backing(const void *addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    uintptr_t a = (uintptr_t)addr;
    while (f && fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= a && a < hi) {
            char *path = strchr(line, '/');
            if (!path)
                path = strchr(line, '[');
            printf("backing %p %s", addr, path ? path : "(anonymous)\n");
            fclose(f);
            return;
        }
    }
    printf("backing %p (unmapped)\n", addr);
    if (f)
        fclose(f);
}

/* Whether the page at addr is mapped: the kernel's msync (the raw system call, not the
 * preload's, which answers for pages the caller gave up as the kernel would for a file). */
static int mapped(const void *addr)
{
    return syscall(SYS_msync, (void *)((uintptr_t)addr / ps * ps), ps, MS_ASYNC) == 0 || errno != ENOMEM;
}

static unsigned char *file_bytes(int fd, off_t off, size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, b + got, len - got, off + (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != len)
        FAIL("pread: %zu of %zu bytes", got, len);
    return b;
}

static void compare(const unsigned char *m, const unsigned char *want, size_t len, const char *what)
{
    for (size_t i = 0; i < len; i++)
        if (m[i] != want[i])
            FAIL("%s: byte %zu is %u, the file says %u", what, i, m[i], want[i]);
    printf("ok %s: %zu bytes match\n", what, len);
}

static sigjmp_buf jb;
static volatile int sig;
static void on_fault(int s) { sig = s; siglongjmp(jb, 1); }

/* The signal a read of p raises (0 if none); *out gets the byte. */
static int probe(const volatile unsigned char *p, unsigned char *out)
{
    struct sigaction sa = { .sa_handler = on_fault };
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        *out = *p;
    signal(SIGBUS, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    return sig;
}

int main(int argc, char **argv)
{
    ps = sysconf(_SC_PAGESIZE);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3)
        FAIL("usage: dax-probe read|cow|partial|fork|fixed|eof|mremap|store|watch FILE ...");
    const char *mode = argv[1], *path = argv[2];
    int fd = open(path, O_RDWR);
    if (fd < 0)
        fd = open(path, O_RDONLY);
    if (fd < 0)
        FAIL("open %s: %s", path, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    size_t size = (size_t)st.st_size;

    if (strcmp(mode, "read") == 0 && argc == 6) {
        off_t off = strtoll(argv[3], NULL, 0);
        size_t len = strtoull(argv[4], NULL, 0);
        int flags = strcmp(argv[5], "private") == 0 ? MAP_PRIVATE : MAP_SHARED;
        unsigned char *m = mmap(NULL, len, PROT_READ, flags, fd, off);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        size_t n = (size_t)off >= size ? 0 : (size - (size_t)off < len ? size - (size_t)off : len);
        unsigned char *want = file_bytes(fd, off, n);
        compare(m, want, n, "read");
        if (munmap(m, len) != 0)
            FAIL("munmap: %s", strerror(errno));
        if (mapped(m))
            FAIL("still mapped after munmap");
        printf("ok unmapped\n");
    } else if (strcmp(mode, "cow") == 0) {
        unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        unsigned char *want = file_bytes(fd, 0, 64);
        m[0] ^= 0xff;
        unsigned char *after = file_bytes(fd, 0, 64);
        if (memcmp(want, after, 64) != 0)
            FAIL("a private write reached the file");
        printf("ok private write stayed private\n");
        munmap(m, size);
    } else if (strcmp(mode, "partial") == 0) {
        /* map the whole file; unmap the first page, a page-range hole, then the rest */
        unsigned char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        unsigned char *want = file_bytes(fd, 0, size);
        size_t hole = size / 2 / ps * ps;
        if (munmap(m, ps) != 0 || munmap(m + hole, 3 * ps) != 0)
            FAIL("partial munmap: %s", strerror(errno));
        printf("ok partial munmaps accepted\n");
        printf("first page %s\n", mapped(m) ? "mapped" : "unmapped");
        printf("hole %s\n", mapped(m + hole + ps) ? "mapped" : "unmapped");
        printf("msync of the hole: %s\n", msync(m + hole, 3 * ps, MS_SYNC) == 0 ? "done" : strerror(errno));
        if (msync(m + ps, hole - ps, MS_SYNC) != 0)
            FAIL("msync of the held range before the hole: %s", strerror(errno));
        printf("ok msync of the held range\n");
        compare(m + ps, want + ps, hole - ps, "before the hole");
        compare(m + hole + 3 * ps, want + hole + 3 * ps, size - hole - 3 * ps, "after the hole");
        if (munmap(m + ps, hole - ps) != 0 || munmap(m + hole + 3 * ps, size - hole - 3 * ps) != 0)
            FAIL("munmap of the rest: %s", strerror(errno));
        for (size_t x = 0; x < size; x += ps)
            if (mapped(m + x))
                FAIL("page %zu still mapped after everything was unmapped", x / ps);
        printf("ok all unmapped\n");
    } else if (strcmp(mode, "fork") == 0) {
        unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        size_t at = size / 3;
        unsigned char old = m[at];
        pid_t c = fork();
        if (c == 0) {
            m[at] = (unsigned char)(old + 1);
            munmap(m, size);
            _exit(0);
        }
        int status;
        waitpid(c, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            FAIL("child failed");
        if (m[at] != (unsigned char)(old + 1))
            FAIL("the child's write is not seen by the parent");
        printf("ok the child's write is seen\n");
        m[at] = old;
        msync(m, size, MS_SYNC);
        munmap(m, size);
    } else if (strcmp(mode, "fixed") == 0 && argc == 4) {
        off_t off = strtoll(argv[3], NULL, 0);
        size_t len = size - (size_t)off;
        unsigned char *r = mmap(NULL, len + ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        unsigned char *m = mmap(r + ps, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, off);
        if (m != r + ps)
            FAIL("MAP_FIXED mmap: %s", strerror(errno));
        backing(m);
        compare(m, file_bytes(fd, off, len), len, "fixed");
        munmap(r, len + ps);
    } else if (strcmp(mode, "eof") == 0) {
        /* map twice the file; the last page holding file bytes, then the page after it */
        size_t len = 2 * size + 4 * ps;
        unsigned char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        compare(m, file_bytes(fd, 0, size), size, "up to the end");
        unsigned char b;
        size_t lastpage_end = (size + ps - 1) / ps * ps;
        if (lastpage_end > size)
            printf("past EOF in the last page: signal %d\n", probe(m + size, &b));
        printf("the page after EOF: signal %d\n", probe(m + lastpage_end, &b));
        printf("far past EOF: signal %d\n", probe(m + len - 1, &b));
        if (munmap(m, len) != 0)
            FAIL("munmap: %s", strerror(errno));
        printf("ok unmapped\n");
    } else if (strcmp(mode, "mremap") == 0) {
        unsigned char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        void *n = mremap(m, size, 2 * size, MREMAP_MAYMOVE);
        printf("mremap %s\n", n == MAP_FAILED ? strerror(errno) : "done");
        munmap(n == MAP_FAILED ? m : n, n == MAP_FAILED ? size : 2 * size);
    } else if (strcmp(mode, "store") == 0 && argc == 5) {
        off_t off = strtoll(argv[3], NULL, 0);
        const char *text = argv[4];
        size_t n = strlen(text);
        if (off < 0 || (size_t)off + n > size)
            FAIL("store: %zu bytes at %lld do not fit in the file's %zu", n, (long long)off, size);
        unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        memcpy(m + off, text, n);
        if (msync(m, size, MS_SYNC) != 0)
            FAIL("msync: %s", strerror(errno));
        printf("ok stored %zu bytes at %lld\n", n, (long long)off);
        munmap(m, size);
    } else if (strcmp(mode, "watch") == 0 && argc == 6) {
        off_t off = strtoll(argv[3], NULL, 0);
        const char *text = argv[4];
        size_t n = strlen(text);
        double seconds = strtod(argv[5], NULL);
        if (off < 0 || (size_t)off + n > size || n == 0)
            FAIL("watch: %zu bytes at %lld do not fit in the file's %zu", n, (long long)off, size);
        int rfd = open(path, O_RDONLY);
        if (rfd < 0)
            FAIL("open %s read-only: %s", path, strerror(errno));
        const volatile unsigned char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, rfd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing((const void *)m);
        printf("watching %zu bytes at %lld for %g s\n", n, (long long)off, seconds);
        struct timespec t0, now, tick = {0, 10 * 1000 * 1000};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            size_t i = 0;
            while (i < n && m[off + (off_t)i] == (unsigned char)text[i])
                i++;
            clock_gettime(CLOCK_MONOTONIC, &now);
            double ms = (double)(now.tv_sec - t0.tv_sec) * 1e3 + (double)(now.tv_nsec - t0.tv_nsec) / 1e6;
            if (i == n) {
                printf("ok seen after %.0f ms, the mapping unchanged\n", ms);
                break;
            }
            if (ms > seconds * 1e3) {
                printf("FAIL not seen within %g s: the mapping still holds", seconds);
                for (size_t j = 0; j < n; j++)
                    printf(" %02x", m[off + (off_t)j]);
                printf("\n");
                exit(1);
            }
            nanosleep(&tick, NULL);
        }
        munmap((void *)m, size);
    } else if (strcmp(mode, "hold") == 0 && argc == 4) {
        int rfd = open(path, O_RDONLY);
        if (rfd < 0)
            FAIL("open %s read-only: %s", path, strerror(errno));
        const uint64_t *m = mmap(NULL, size, PROT_READ, MAP_SHARED, rfd, 0);
        if (m == MAP_FAILED)
            FAIL("mmap: %s", strerror(errno));
        backing(m);
        uint64_t sum = 0;
        for (size_t i = 0; i < size / 8; i++)
            sum += m[i] * (i | 1);
        printf("held %zu bytes, checksum %016llx\n", size, (unsigned long long)sum);
        sleep((unsigned)strtoul(argv[3], NULL, 0));
        munmap((void *)m, size);
    } else {
        FAIL("unknown mode %s", mode);
    }
    return 0;
}
