/*
 * libfamfs-dax.so: LD_PRELOAD library that maps famfs files straight onto the device.
 *
 * mmap (and mmap64) of a file in a famfs FUSE mount is served, when it can be, by
 * mapping the device ranges the file's map names (xattr user.famfs.fmap, version 1)
 * into one contiguous address range, so page faults go to the shared memory itself
 * instead of through FUSE and the page cache.  Everything else goes to the real mmap.
 * See docs/direct-access.md, "The preload library".
 *
 *   file offset space          [flo ............................ fhi)   granule-rounded
 *   what the caller asked              [off ........ off+len)
 *   address space        base  [ piece | piece | piece | past-EOF ]  base + (fhi - flo)
 *                                 device, MAP_SHARED|MAP_FIXED     empty memfd: SIGBUS
 *
 * The granule G is 2 MiB for a character device (devdax: mappings must start and end
 * on its 2 MiB alignment) and the page size for a regular file standing in for one.
 * A table of direct mappings (mutex) lets munmap of the caller's range, or of part of
 * it, release the granule-rounded mapping behind it, and msync of a devdax mapping
 * (which the kernel refuses: a character device has no fsync) flush the CPU caches of
 * the range instead.
 *
 * Environment: FAMFS_DAX=0 disables the library; FAMFS_DAX_DEBUG=1 logs every decision
 * to stderr (otherwise only the first fallback is logged); FAMFS_DAX_GRANULE=2097152
 * applies devdax's granule (and its msync) to any device (how the tests exercise the
 * 2 MiB rules on a file-backed device); FAMFS_DAX_BROKER=SOCKET asks that broker instead of the one the
 * mount names (user.famfs.broker).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546
#define XATTR_FMAP "user.famfs.fmap"
#define XATTR_DEVICE "user.famfs.device"
#define XATTR_BROKER "user.famfs.broker"
#define DAX_ALIGN (2UL << 20)
#define MAX_PIECES 256          /* extents or strips in one fmap */
#define FMAP_BUF 16384
#define MAX_MAPPINGS 1024       /* direct mappings alive at once */
#define MAX_LIVE 16             /* live sub-ranges of one mapping (holes punched by munmap; more: ENOMEM) */
#define MAX_MAP_CALLS 16384     /* device pieces of one direct mapping */

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);
typedef void *(*mremap_fn)(void *, size_t, size_t, int, ...);
typedef int (*msync_fn)(void *, size_t, int);

static mmap_fn real_mmap_p;
static mmap_fn real_mmap64_p;
static munmap_fn real_munmap_p;
static mremap_fn real_mremap_p;
static msync_fn real_msync_p;
static int enabled = 1;
static int debug;
static int logged_once;
static long page_size = 4096;
static unsigned long forced_granule;    /* FAMFS_DAX_GRANULE: devdax's 2 MiB rules on any device (tests) */

struct range {
    uintptr_t lo, hi;
};

struct mapping {
    uintptr_t mstart, mend;     /* what this library mapped (granule-aligned) */
    uintptr_t granule;
    int own_sync;               /* devdax (or its rules forced): msync flushes caches here */
    int nlive;
    struct range live[MAX_LIVE];/* what the caller still holds */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping table[MAX_MAPPINGS];
static volatile int table_count;    /* read without the lock as a fast path */

struct fmap {
    uint64_t size;
    int interleaved;
    uint64_t nstrips, chunk;
    int n;
    struct {
        uint64_t off, len;
    } e[MAX_PIECES];
};

/* ---------------------------------------------------------------- logging */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[768];
    int n = snprintf(buf, sizeof buf, "libfamfs-dax: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    n += m;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(2, buf, (size_t)n);
    (void)w;
}

#define DEBUG(...) do { if (debug) say(__VA_ARGS__); } while (0)

/* A fallback: logged the first time (every time with FAMFS_DAX_DEBUG=1). */
static void fallback_note(int fd, const char *why)
{
    if (debug || !__atomic_exchange_n(&logged_once, 1, __ATOMIC_RELAXED))
        say("fd %d: mapping through FUSE, not directly: %s%s", fd, why,
            debug ? "" : " (further fallbacks not logged; FAMFS_DAX_DEBUG=1 logs all)");
}

/* ---------------------------------------------------------------- real functions */

static void resolve(void)
{
    if (!real_mmap_p)
        real_mmap_p = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
    if (!real_mmap64_p)
        real_mmap64_p = (mmap_fn)dlsym(RTLD_NEXT, "mmap64");
    if (!real_munmap_p)
        real_munmap_p = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
    if (!real_mremap_p)
        real_mremap_p = (mremap_fn)dlsym(RTLD_NEXT, "mremap");
    if (!real_msync_p)
        real_msync_p = (msync_fn)dlsym(RTLD_NEXT, "msync");
}

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!real_mmap_p)
        resolve();
    if (real_mmap_p)
        return real_mmap_p(addr, len, prot, flags, fd, off);
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int sys_munmap(void *addr, size_t len)
{
    if (!real_munmap_p)
        resolve();
    if (real_munmap_p)
        return real_munmap_p(addr, len);
    return (int)syscall(SYS_munmap, addr, len);
}

static int sys_msync(void *addr, size_t len, int flags)
{
    if (!real_msync_p)
        resolve();
    if (real_msync_p)
        return real_msync_p(addr, len, flags);
    return (int)syscall(SYS_msync, addr, len, flags);
}

static void lock_prefork(void) { pthread_mutex_lock(&table_lock); }
static void lock_postfork(void) { pthread_mutex_unlock(&table_lock); }

__attribute__((constructor)) static void famfs_dax_init(void)
{
    const char *e = getenv("FAMFS_DAX");
    if (e && (strcmp(e, "0") == 0 || strcmp(e, "off") == 0 || strcmp(e, "no") == 0))
        enabled = 0;
    e = getenv("FAMFS_DAX_DEBUG");
    debug = e && *e && strcmp(e, "0") != 0;
    long p = sysconf(_SC_PAGESIZE);
    if (p > 0)
        page_size = p;
    e = getenv("FAMFS_DAX_GRANULE");
    if (e && *e) {
        unsigned long g = strtoul(e, NULL, 0);
        if (g >= (unsigned long)page_size && (g & (g - 1)) == 0 && g <= (1UL << 30))
            forced_granule = g;
    }
    resolve();
    /* the child of a fork inherits the mappings and the table, never a held lock */
    pthread_atfork(lock_prefork, lock_postfork, lock_postfork);
    DEBUG("loaded (%s)", enabled ? "enabled" : "disabled by FAMFS_DAX=0");
}

/* ---------------------------------------------------------------- fmap */

static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *out = v;
    *p = s;
    return 0;
}

static int expect_word(const char **p, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(*p, w, n) != 0)
        return -1;
    *p += n;
    return 0;
}

static int expect_eol(const char **p)
{
    if (**p != '\n')
        return -1;
    (*p)++;
    return 0;
}

/* Parses fmap version 1 text (NUL-terminated). 0 on success. */
static int parse_fmap(const char *s, struct fmap *fm)
{
    uint64_t n;
    memset(fm, 0, sizeof *fm);
    if (expect_word(&s, "famfs-fmap 1\n") || expect_word(&s, "size ") || parse_u64(&s, &fm->size) || expect_eol(&s))
        return -1;
    const char *line;
    if (expect_word(&s, "simple ") == 0) {
        if (parse_u64(&s, &n) || expect_eol(&s))
            return -1;
        line = "extent ";
    } else if (expect_word(&s, "interleaved ") == 0) {
        fm->interleaved = 1;
        if (parse_u64(&s, &n) || parse_u64(&s, &fm->chunk) || expect_eol(&s))
            return -1;
        fm->nstrips = n;
        if (n == 0 || fm->chunk == 0)
            return -1;
        line = "strip ";
    } else {
        return -1;
    }
    if (n > MAX_PIECES)
        return -1;
    fm->n = (int)n;
    for (int i = 0; i < fm->n; i++) {
        if (expect_word(&s, line) || parse_u64(&s, &fm->e[i].off) || parse_u64(&s, &fm->e[i].len) || expect_eol(&s))
            return -1;
        if (fm->e[i].off + fm->e[i].len < fm->e[i].off)
            return -1;
    }
    return 0;
}

/* Bytes of file data the map can place (its allocation). */
static uint64_t fmap_capacity(const struct fmap *fm)
{
    uint64_t total = 0;
    if (fm->interleaved) {
        /* whole stripes only: chunk c is in strip c % N at row c / N */
        uint64_t rows = UINT64_MAX;
        for (int i = 0; i < fm->n; i++)
            if (fm->e[i].len / fm->chunk < rows)
                rows = fm->e[i].len / fm->chunk;
        return rows * fm->chunk * fm->nstrips;
    }
    for (int i = 0; i < fm->n; i++)
        total += fm->e[i].len;
    return total;
}

/* Every device offset and length the map names is a multiple of g. */
static int fmap_aligned(const struct fmap *fm, uint64_t g)
{
    if (fm->interleaved && fm->chunk % g)
        return 0;
    for (int i = 0; i < fm->n; i++)
        if (fm->e[i].off % g || (!fm->interleaved && fm->e[i].len % g))
            return 0;
    return 1;
}

/*
 * The device run holding file offset x: its device offset and how many bytes from x on
 * are contiguous on the device. 0 if x is past the allocation.
 */
static int fmap_locate(const struct fmap *fm, uint64_t x, uint64_t *dev, uint64_t *run)
{
    if (fm->interleaved) {
        uint64_t c = x / fm->chunk, within = x % fm->chunk;
        uint64_t strip = c % fm->nstrips, row = c / fm->nstrips;
        if (strip >= (uint64_t)fm->n)
            return 0;
        uint64_t so = row * fm->chunk + within;
        if (so >= fm->e[strip].len)
            return 0;
        *dev = fm->e[strip].off + so;
        *run = fm->chunk - within;
        if (*run > fm->e[strip].len - so)
            *run = fm->e[strip].len - so;
        return 1;
    }
    uint64_t pos = 0;
    for (int i = 0; i < fm->n; i++) {
        if (x < pos + fm->e[i].len) {
            *dev = fm->e[i].off + (x - pos);
            *run = fm->e[i].len - (x - pos);
            return 1;
        }
        pos += fm->e[i].len;
    }
    return 0;
}

/* ---------------------------------------------------------------- device descriptors */

static ssize_t get_xattr(int fd, const char *name, char *buf, size_t cap)
{
    ssize_t n = fgetxattr(fd, name, buf, cap - 1);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

/*
 * Asks the mount's broker for the device (docs/direct-access.md, protocol version 1).
 * Returns the descriptor, or -1 with errno set (the broker's ERRNO on a refusal); on
 * success the broker's fmap text replaces fmtext.
 */
static int broker_open(const char *sock, const char *path, int rw, char *fmtext, size_t cap)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(sock) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, sock);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct timeval tv = { .tv_sec = 10, .tv_usec = 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto fail;
    char req[4200];
    int n = snprintf(req, sizeof req, "MAP1 %s %s", rw ? "rw" : "r", path);
    if (n < 0 || n > 4096) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    if (send(s, req, (size_t)n, MSG_NOSIGNAL) != n)
        goto fail;

    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct iovec iov = { .iov_base = fmtext, .iov_len = cap - 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    ssize_t got = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
    if (got < 0)
        goto fail;
    fmtext[got] = 0;
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int fds[4];
            memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)(nfds < 4 ? nfds : 4));
            for (int i = 0; i < nfds && i < 4; i++) {
                if (fd < 0)
                    fd = fds[i];
                else
                    close(fds[i]);
            }
        }
    }
    close(s);
    if (got >= 3 && memcmp(fmtext, "OK\n", 3) == 0 && fd >= 0 && !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        memmove(fmtext, fmtext + 3, (size_t)got - 2);   /* with the NUL */
        return fd;
    }
    if (fd >= 0)
        close(fd);
    int e = EACCES;
    if (got >= 4 && memcmp(fmtext, "ERR ", 4) == 0) {
        const char *p = fmtext + 4;
        uint64_t v;
        if (parse_u64(&p, &v) == 0 && v > 0 && v < 4096)
            e = (int)v;
        DEBUG("broker %s refused %s: %s", sock, path, fmtext + 4);
    } else {
        DEBUG("broker %s: unexpected reply", sock);
        e = EPROTO;
    }
    errno = e;
    return -1;
fail:
    {
        int e = errno;
        close(s);
        errno = e;
    }
    return -1;
}

/* The device, opened directly if the caller may, else from the broker. */
static int device_open(int fd, int rw, char *fmtext, size_t cap, const char **why)
{
    char dev[4096];
    if (get_xattr(fd, XATTR_DEVICE, dev, sizeof dev) < 0) {
        *why = "no user.famfs.device xattr";
        return -1;
    }
    int d = open(dev, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (d >= 0) {
        DEBUG("fd %d: opened device %s directly (%s)", fd, dev, rw ? "rw" : "r");
        return d;
    }
    if (errno != EACCES && errno != EPERM) {
        *why = "cannot open the device";
        DEBUG("fd %d: open %s: %s", fd, dev, strerror(errno));
        return -1;
    }
    char sock[4096], link[64], path[4096];
    const char *env_sock = getenv("FAMFS_DAX_BROKER");
    if (env_sock && *env_sock && strlen(env_sock) < sizeof sock) {
        strcpy(sock, env_sock);
    } else if (get_xattr(fd, XATTR_BROKER, sock, sizeof sock) < 0) {
        *why = "the device is not open to this user and the mount names no broker (user.famfs.broker)";
        return -1;
    }
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) {
        *why = "cannot resolve the file's path";
        return -1;
    }
    path[n] = 0;
    d = broker_open(sock, path, rw, fmtext, cap);
    if (d < 0) {
        DEBUG("fd %d: broker %s: %s", fd, sock, strerror(errno));
        *why = "the broker did not grant the device";
        return -1;
    }
    DEBUG("fd %d: device from broker %s (%s)", fd, sock, rw ? "rw" : "r");
    return d;
}

/* ---------------------------------------------------------------- the table */

static int table_add(uintptr_t mstart, uintptr_t mend, uintptr_t g, int own_sync, uintptr_t ulo, uintptr_t uhi)
{
    int ok = 0;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < MAX_MAPPINGS; i++) {
        if (table[i].mend == 0) {
            table[i] = (struct mapping){ .mstart = mstart, .mend = mend, .granule = g, .own_sync = own_sync, .nlive = 1 };
            table[i].live[0] = (struct range){ ulo, uhi };
            __atomic_add_fetch(&table_count, 1, __ATOMIC_RELEASE);
            ok = 1;
            break;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return ok;
}

static int live_hits(const struct mapping *m, uintptr_t lo, uintptr_t hi)
{
    for (int i = 0; i < m->nlive; i++)
        if (m->live[i].lo < hi && lo < m->live[i].hi)
            return 1;
    return 0;
}

/*
 * The caller unmaps [lo, hi) of mapping m (already clipped to it). Granules nothing
 * live touches any more are unmapped; granules that were already released belong to
 * whoever mapped there since, so the caller's range there is unmapped as asked.
 * Returns -1 (errno) only if the kernel refuses; the table then stays as it was.
 */
static int release(struct mapping *m, uintptr_t lo, uintptr_t hi)
{
    struct mapping before = *m;
    struct range nl[MAX_LIVE * 2];
    int n = 0;
    for (int i = 0; i < m->nlive; i++) {
        struct range r = m->live[i];
        if (r.hi <= lo || hi <= r.lo) {
            nl[n++] = r;
            continue;
        }
        if (r.lo < lo)
            nl[n++] = (struct range){ r.lo, lo };
        if (hi < r.hi)
            nl[n++] = (struct range){ hi, r.hi };
    }
    if (n > MAX_LIVE) {
        /* too many holes to track: refused as the kernel refuses a split past max_map_count */
        errno = ENOMEM;
        return -1;
    }
    memcpy(m->live, nl, sizeof(struct range) * (size_t)n);
    m->nlive = n;
    uintptr_t g = m->granule;
    uintptr_t glo = m->mstart + (lo - m->mstart) / g * g;
    for (uintptr_t a = glo; a < hi && a < m->mend; a += g) {
        uintptr_t b = a + g;
        int was = live_hits(&before, a, b), is = live_hits(m, a, b);
        int rc = 0;
        if (was && !is)
            rc = sys_munmap((void *)a, g);
        else if (!was)
            rc = sys_munmap((void *)(a > lo ? a : lo), (b < hi ? b : hi) - (a > lo ? a : lo));
        if (rc != 0) {
            *m = before;
            return -1;
        }
    }
    if (m->nlive == 0) {
        m->mend = 0;
        __atomic_sub_fetch(&table_count, 1, __ATOMIC_RELEASE);
    }
    return 0;
}

/* ---------------------------------------------------------------- direct mapping */

static uintptr_t round_up(uintptr_t x, uintptr_t g) { return (x + g - 1) / g * g; }

/* Maps [off, off+len) of famfs file fd directly; MAP_FAILED (and *why) if it cannot. */
static void *map_direct(void *addr, size_t len, int prot, int flags, int fd, off_t off, const char **why)
{
    int fixed = (flags & MAP_FIXED) != 0;
    int shared = (flags & MAP_TYPE) == MAP_SHARED;
    int acc = fcntl(fd, F_GETFL);
    if (acc < 0 || (acc & O_ACCMODE) == O_WRONLY || (shared && (prot & PROT_WRITE) && (acc & O_ACCMODE) != O_RDWR)) {
        *why = "the descriptor's access mode does not allow this mapping";
        return MAP_FAILED;
    }
    /*
     * A shared mapping of an O_RDWR descriptor gets a read/write device, even if mapped
     * read-only now: as for a plain file, mprotect may make it writable later.
     */
    int rw = shared && (acc & O_ACCMODE) == O_RDWR;

    char fmtext[FMAP_BUF];
    if (get_xattr(fd, XATTR_FMAP, fmtext, sizeof fmtext) < 0) {
        *why = errno == ERANGE ? "user.famfs.fmap too long" : "no user.famfs.fmap xattr";
        return MAP_FAILED;
    }
    int dfd = device_open(fd, rw, fmtext, sizeof fmtext, why);
    if (dfd < 0)
        return MAP_FAILED;
    struct fmap fm;
    if (parse_fmap(fmtext, &fm) != 0) {
        close(dfd);
        *why = "user.famfs.fmap is not version 1 or is malformed";
        return MAP_FAILED;
    }
    struct stat st;
    if (fstat(dfd, &st) != 0) {
        close(dfd);
        *why = "fstat of the device failed";
        return MAP_FAILED;
    }
    uintptr_t ps = (uintptr_t)page_size;
    uintptr_t g = forced_granule ? forced_granule : S_ISCHR(st.st_mode) ? DAX_ALIGN : ps;
    if (!fmap_aligned(&fm, g)) {
        close(dfd);
        *why = "the file's extents are not aligned to the device's mapping granule";
        return MAP_FAILED;
    }
    if (fixed && g != ps) {
        close(dfd);
        *why = "MAP_FIXED on a devdax device (its 2 MiB alignment cannot be kept at a caller's address)";
        return MAP_FAILED;
    }

    uint64_t ulen = round_up(len, ps);
    uint64_t uoff = (uint64_t)off;
    if (ulen == 0 || uoff + ulen < uoff || uoff + ulen > (uint64_t)1 << 56) {
        close(dfd);
        *why = "offset or length out of range";
        return MAP_FAILED;
    }
    uint64_t flo = uoff / g * g;
    uint64_t fhi = round_up(uoff + ulen, g);
    /* device bytes up to the granule holding the last byte of the file, no further */
    uint64_t dev_hi = round_up(fm.size, g);
    uint64_t cap = fmap_capacity(&fm);
    if (dev_hi > cap)
        dev_hi = cap / g * g;
    if (dev_hi > fhi)
        dev_hi = fhi;
    if (dev_hi <= flo) {
        close(dfd);
        *why = "the range is past the end of the file";
        return MAP_FAILED;
    }
    size_t mlen = (size_t)(fhi - flo);

    uintptr_t base, res = 0;
    size_t reslen = 0;
    if (fixed) {
        base = (uintptr_t)addr - (uintptr_t)(uoff - flo);
    } else {
        reslen = mlen + (g > ps ? g : 0);
        void *r = sys_mmap(NULL, reslen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED) {
            close(dfd);
            *why = "cannot reserve address space";
            return MAP_FAILED;
        }
        res = (uintptr_t)r;
        base = round_up(res, g);
    }

    int pflags = MAP_SHARED | MAP_FIXED | (flags & (MAP_POPULATE | MAP_NONBLOCK | MAP_LOCKED));
    int dprot = prot & (PROT_READ | PROT_WRITE);
    int calls = 0;
    for (uint64_t x = flo; x < dev_hi;) {
        uint64_t dev, run;
        if (!fmap_locate(&fm, x, &dev, &run) || ++calls > MAX_MAP_CALLS) {
            *why = calls > MAX_MAP_CALLS ? "too many device pieces" : "the map does not cover the range";
            goto undo;
        }
        if (run > dev_hi - x)
            run = dev_hi - x;
        void *p = sys_mmap((void *)(base + (x - flo)), (size_t)run, dprot, pflags, dfd, (off_t)dev);
        if (p == MAP_FAILED) {
            DEBUG("fd %d: mmap of device offset %llu length %llu: %s", fd, (unsigned long long)dev,
                  (unsigned long long)run, strerror(errno));
            *why = "mapping the device failed";
            goto undo;
        }
        x += run;
    }
    if (dev_hi < fhi) {
        /* past the file's last granule: a plain file's SIGBUS, from an empty memfd */
        uintptr_t a = base + (uintptr_t)(dev_hi - flo);
        size_t l = (size_t)(fhi - dev_hi);
        int mfd = (int)syscall(SYS_memfd_create, "famfs-dax-past-eof", 1U /* MFD_CLOEXEC */);
        void *p = mfd >= 0 ? sys_mmap((void *)a, l, dprot, MAP_SHARED | MAP_FIXED, mfd, 0) : MAP_FAILED;
        if (mfd >= 0)
            close(mfd);
        if (p == MAP_FAILED && fixed)
            p = sys_mmap((void *)a, l, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED && fixed) {
            *why = "cannot map past the end of the file";
            goto undo;
        }
        /* else the PROT_NONE reservation stays: SIGSEGV instead of SIGBUS */
    }
    close(dfd);
    if (!fixed) {
        if (base > res)
            sys_munmap((void *)res, base - res);
        if (res + reslen > base + mlen)
            sys_munmap((void *)(base + mlen), res + reslen - (base + mlen));
    }
    uintptr_t ret = base + (uintptr_t)(uoff - flo);
    if (g != ps || !fixed) {
        if (!table_add(base, base + mlen, g, S_ISCHR(st.st_mode) || forced_granule, ret, ret + ulen)) {
            if (g != ps) {
                sys_munmap((void *)base, mlen);
                *why = "too many direct mappings";
                return MAP_FAILED;
            }
            /* page granule: the mapping is exact, the kernel's munmap is enough */
        }
    }
    DEBUG("fd %d: direct %s mapping of file offset %llu length %llu at %p (%d device pieces, granule %lu KiB)",
          fd, (prot & PROT_WRITE) ? "read/write" : "read-only", (unsigned long long)uoff, (unsigned long long)ulen, (void *)ret,
          calls, (unsigned long)(g >> 10));
    return (void *)ret;

undo:
    close(dfd);
    if (!fixed)
        sys_munmap((void *)res, reslen);
    return MAP_FAILED;
}

/* A famfs file on a FUSE mount, cheaply: fstatfs, then the fmap xattr's existence. */
static int is_famfs(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0 || (unsigned long)sf.f_type != FUSE_SUPER_MAGIC)
        return 0;
    return fgetxattr(fd, XATTR_FMAP, NULL, 0) > 0;
}

static void *famfs_mmap(mmap_fn next, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!enabled || fd < 0 || (flags & MAP_ANONYMOUS) || len == 0)
        return next ? next(addr, len, prot, flags, fd, off) : sys_mmap(addr, len, prot, flags, fd, off);
    int saved = errno;
    const char *why = NULL;
    void *p = MAP_FAILED;
    if (is_famfs(fd)) {
        int type = flags & MAP_TYPE;
        int known = MAP_TYPE | MAP_FIXED | MAP_POPULATE | MAP_NONBLOCK | MAP_LOCKED | MAP_NORESERVE;
        if (off < 0 || (uint64_t)off % (uint64_t)page_size)
            why = "offset not page-aligned";
        else if (type != MAP_SHARED && type != MAP_PRIVATE)
            why = "mapping type other than MAP_SHARED or MAP_PRIVATE";
        else if (flags & ~known)
            why = "flags this library does not serve";
        else if (type == MAP_PRIVATE && (prot & PROT_WRITE))
            why = "MAP_PRIVATE with PROT_WRITE (copy-on-write)";
        else if ((prot & ~(PROT_READ | PROT_WRITE)) || !(prot & PROT_READ))
            why = "protection other than read or read/write";
        else if ((flags & MAP_FIXED) && (uintptr_t)addr % (uintptr_t)page_size)
            why = "MAP_FIXED at an unaligned address";
        else
            p = map_direct(addr, len, prot, flags, fd, off, &why);
        if (p == MAP_FAILED)
            fallback_note(fd, why ? why : "unknown");
    }
    errno = saved;
    if (p != MAP_FAILED)
        return p;
    return next ? next(addr, len, prot, flags, fd, off) : sys_mmap(addr, len, prot, flags, fd, off);
}

/* ---------------------------------------------------------------- interposed */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!real_mmap_p)
        resolve();
    return famfs_mmap(real_mmap_p, addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    if (!real_mmap64_p)
        resolve();
    return famfs_mmap(real_mmap64_p ? real_mmap64_p : real_mmap_p, addr, len, prot, flags, fd, (off_t)off);
}

/* The first direct mapping (of devdax's msync rules only, if asked) that ends after cur
 * and starts before hi, in address order; the caller holds table_lock. */
static struct mapping *next_mapping(uintptr_t cur, uintptr_t hi, int own_sync_only)
{
    struct mapping *m = NULL;
    for (int i = 0; i < MAX_MAPPINGS; i++)
        if ((!own_sync_only || table[i].own_sync) && table[i].mend > cur && table[i].mstart < hi
            && (!m || table[i].mstart < m->mstart))
            m = &table[i];
    return m;
}

int munmap(void *addr, size_t len)
{
    if (!__atomic_load_n(&table_count, __ATOMIC_ACQUIRE) || len == 0 || (uintptr_t)addr % (uintptr_t)page_size)
        return sys_munmap(addr, len);
    uintptr_t lo = (uintptr_t)addr, hi = lo + round_up(len, (uintptr_t)page_size);
    if (hi < lo)
        return sys_munmap(addr, len);
    int rc = 0;
    pthread_mutex_lock(&table_lock);
    uintptr_t cur = lo;
    while (cur < hi) {
        struct mapping *m = next_mapping(cur, hi, 0);
        uintptr_t until = m ? (m->mstart > cur ? m->mstart : cur) : hi;
        if (until > cur && sys_munmap((void *)cur, until - cur) != 0) {
            rc = -1;
            break;
        }
        if (!m)
            break;
        uintptr_t end = m->mend < hi ? m->mend : hi;
        DEBUG("munmap [%p, %p) of a direct mapping", (void *)until, (void *)end);
        if (release(m, until, end) != 0) {
            rc = -1;
            break;
        }
        cur = end;
    }
    int e = errno;
    pthread_mutex_unlock(&table_lock);
    errno = e;
    return rc;
}

/* Writes back (and evicts) the CPU cache lines of [lo, hi): stores reach the memory. */
static void flush_lines(uintptr_t lo, uintptr_t hi)
{
#if defined(__x86_64__) || defined(__i386__)
    for (uintptr_t p = lo & ~(uintptr_t)63; p < hi; p += 64)
        __builtin_ia32_clflush((const void *)p);
    __builtin_ia32_mfence();
#elif defined(__aarch64__)
    for (uintptr_t p = lo & ~(uintptr_t)63; p < hi; p += 64)
        __asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
    __asm__ volatile("dsb sy" : : : "memory");
#else
    (void)lo;
    (void)hi;
    __sync_synchronize();
#endif
}

/*
 * msync: the kernel answers EINVAL for a devdax mapping (a character device has no
 * fsync), which would fail a program that syncs a plain file's mapping. Over a direct
 * mapping of devdax, MS_SYNC writes the range's cache lines back to the memory (what
 * makes stores visible to other hosts where the memory is not cache-coherent, as famfs
 * flush does) and MS_ASYNC returns at once, as the kernel's does for a file. Pages the
 * caller has unmapped answer ENOMEM, as the kernel does. Everything else: the real msync.
 */
int msync(void *addr, size_t len, int flags)
{
    uintptr_t lo = (uintptr_t)addr, hi = lo + round_up(len, (uintptr_t)page_size);
    if (!__atomic_load_n(&table_count, __ATOMIC_ACQUIRE) || len == 0 || lo % (uintptr_t)page_size || hi < lo
        || (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return sys_msync(addr, len, flags);
    int rc = 0, err = 0, direct = 0;
    pthread_mutex_lock(&table_lock);
    uintptr_t cur = lo;
    while (cur < hi) {
        struct mapping *m = next_mapping(cur, hi, 1);
        uintptr_t until = m ? (m->mstart > cur ? m->mstart : cur) : hi;
        if (until > cur && sys_msync((void *)cur, until - cur, flags) != 0) {
            rc = -1;
            err = errno;
        }
        if (!m)
            break;
        uintptr_t end = m->mend < hi ? m->mend : hi;
        direct = 1;
        /* [until, end) lies in the mapping: the caller's live pieces get flushed, the rest is ENOMEM */
        uintptr_t covered = 0;
        for (int k = 0; k < m->nlive; k++) {
            uintptr_t a = m->live[k].lo > until ? m->live[k].lo : until;
            uintptr_t b = m->live[k].hi < end ? m->live[k].hi : end;
            if (a < b) {
                covered += b - a;
                if (flags & MS_SYNC)
                    flush_lines(a, b);
            }
        }
        if (covered < end - until) {
            rc = -1;
            err = ENOMEM;
        }
        cur = end;
    }
    pthread_mutex_unlock(&table_lock);
    if (rc)
        errno = err;
    if (direct)
        DEBUG("msync [%p, %p) of a direct mapping: %s", (void *)lo, (void *)hi, rc ? strerror(err) : "done");
    return rc;
}

/*
 * mremap of a direct mapping is refused: growing it would map device bytes past the
 * file's extents, moving it would leave the table behind. Everything else passes.
 */
void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    void *new_addr = va_arg(ap, void *);
    va_end(ap);
    if (!real_mremap_p)
        resolve();
    if (__atomic_load_n(&table_count, __ATOMIC_ACQUIRE)) {
        uintptr_t lo = (uintptr_t)old, hi = lo + (old_len ? old_len : 1);
        int hit = 0;
        pthread_mutex_lock(&table_lock);
        for (int i = 0; i < MAX_MAPPINGS && !hit; i++)
            if (table[i].mend > lo && table[i].mstart < hi)
                hit = 1;
        pthread_mutex_unlock(&table_lock);
        if (hit) {
            DEBUG("mremap of a direct mapping refused");
            errno = EINVAL;
            return MAP_FAILED;
        }
    }
    if (real_mremap_p)
        return real_mremap_p(old, old_len, new_len, flags, new_addr);
    return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}
