/*
 * famfs-fwd: the part of bin/famfs that hands a command on a path inside a famfs mount to
 * that mount's server, which runs it warm (io.famfs.cli.CommandServer; protocol CLI1 in
 * docs/mount.md, "Forwarded commands"). A JVM start costs 0.1 s or more; this does not.
 *
 *   famfs-fwd NARGS PROGRAM [ARG...]
 *
 * PROGRAM ARG... is the command that runs the famfs command in this process (the java
 * command line); its last NARGS arguments are the famfs arguments. famfs-fwd looks for
 * the first famfs argument that names a path inside a famfs mount, finds that mount's
 * home (xattr user.famfs.home of the mount point) and sends the arguments to its cli.sock
 * with this process's stdout and stderr. The server answers "EXIT n" (it ran the command,
 * famfs-fwd exits n) or "LOCAL reason"; that, no mount, no server, or any failure before
 * the request is sent, exec()s PROGRAM: the command then runs here, as without famfs-fwd.
 * FAMFS_NO_FORWARD=1 always runs here; FAMFS_FORWARD_TRACE=1 says on stderr what happened.
 *
 * The server decides who may have a command run there, from this process's SO_PEERCRED
 * credentials and /proc entry, never from anything sent here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_REQUEST (256 * 1024)
#define MAX_MOUNTS 64

static int trace;

static void run_here(char **program, const char *why)
{
    if (trace && why)
        fprintf(stderr, "famfs-fwd: runs here: %s\n", why);
    execv(program[0], program);
    fprintf(stderr, "famfs: cannot run %s: %s\n", program[0], strerror(errno));
    exit(127);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
    char *d = s;
    while (*s) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 4;
        } else {
            *d++ = *s++;
        }
    }
    *d = 0;
}

/* The mount points of fuse.famfs mounts; returns how many. */
static int famfs_mounts(char mounts[][PATH_MAX])
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[3 * PATH_MAX];
    int n = 0;
    if (!f)
        return 0;
    while (n < MAX_MOUNTS && fgets(line, sizeof line, f)) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
        char *sep = strstr(line, " - ");
        char *fields[5];
        char *save = NULL, *tok;
        int i = 0;
        if (!sep || strncmp(sep + 3, "fuse.famfs ", 11) != 0)
            continue;
        *sep = 0;
        for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
            fields[i++] = tok;
        if (i < 5 || strlen(fields[4]) >= PATH_MAX)
            continue;
        unescape(fields[4]);
        strcpy(mounts[n++], fields[4]);
    }
    fclose(f);
    return n;
}

/*
 * The canonical form of ARG as a path: realpath of it, or of its longest existing
 * ancestor with the rest appended (a file about to be created does not exist yet).
 */
static int canonical(const char *arg, char *out)
{
    char path[PATH_MAX], head[PATH_MAX], resolved[PATH_MAX];
    const char *tail = "";
    if (arg[0] == '/') {
        if (strlen(arg) >= sizeof path)
            return -1;
        strcpy(path, arg);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || snprintf(path, sizeof path, "%s/%s", cwd, arg) >= (int)sizeof path)
            return -1;
    }
    strcpy(head, path);
    for (;;) {
        if (realpath(head, resolved)) {
            if (snprintf(out, PATH_MAX, "%s%s%s", resolved, *tail ? "/" : "", tail) >= PATH_MAX)
                return -1;
            return 0;
        }
        char *slash = strrchr(head, '/');
        if (!slash || slash == head)
            return -1;
        *slash = 0;
        tail = path + (slash - head) + 1;
    }
}

static int under(const char *path, const char *mount)
{
    size_t n = strlen(mount);
    if (strcmp(mount, "/") == 0)
        return 1;
    return strncmp(path, mount, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* The deepest famfs mount holding the first argument that is a path in one; or NULL. */
static const char *mount_of(int argc, char **argv, char mounts[][PATH_MAX], int nmounts)
{
    const char *best = NULL;
    for (int i = 0; i < argc && !best; i++) {
        char candidate[PATH_MAX], canon[PATH_MAX];
        const char *a = argv[i];
        if (a[0] == '-' || a[0] == 0)
            continue;
        /* NAME,SIZE[,SEED] specs (creat -M, verify -m): the name is the path */
        snprintf(candidate, sizeof candidate, "%s", a);
        for (int pass = 0; pass < 2 && !best; pass++) {
            if (pass == 1) {
                char *comma = strchr(candidate, ',');
                if (!comma)
                    break;
                *comma = 0;
            }
            if (canonical(candidate, canon) != 0)
                continue;
            for (int m = 0; m < nmounts; m++)
                if (under(canon, mounts[m]) && (!best || strlen(mounts[m]) > strlen(best)))
                    best = mounts[m];
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    static char mounts[MAX_MOUNTS][PATH_MAX];
    static char request[MAX_REQUEST];
    char home[PATH_MAX], reply[4096];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (argc < 3) {
        fprintf(stderr, "usage: famfs-fwd NARGS PROGRAM [ARG...]\n");
        return 2;
    }
    char *end;
    long nargs = strtol(argv[1], &end, 10);
    char **program = argv + 2;
    int nprogram = argc - 2;
    if (*end || nargs < 0 || nargs >= nprogram) {
        fprintf(stderr, "famfs-fwd: bad NARGS %s\n", argv[1]);
        return 2;
    }
    char **args = program + (nprogram - nargs);
    trace = getenv("FAMFS_FORWARD_TRACE") != NULL;
    if (getenv("FAMFS_NO_FORWARD"))
        run_here(program, "FAMFS_NO_FORWARD is set");

    int nmounts = famfs_mounts(mounts);
    const char *mount = nmounts ? mount_of((int)nargs, args, mounts, nmounts) : NULL;
    if (!mount)
        run_here(program, "no path in a famfs mount");
    ssize_t hl = getxattr(mount, "user.famfs.home", home, sizeof home - 1);
    if (hl <= 0)
        run_here(program, "the mount names no home");
    home[hl] = 0;
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/cli.sock", home) >= (int)sizeof sa.sun_path)
        run_here(program, "socket path too long");

    size_t len = 0;
    memcpy(request, "CLI1", 5);
    len = 5;
    for (long i = 0; i < nargs; i++) {
        size_t n = strlen(args[i]) + 1;
        if (len + n >= sizeof request)
            run_here(program, "command line too long to forward");
        memcpy(request + len, args[i], n);
        len += n;
    }

    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
        run_here(program, "no server answers");

    int fds[2] = {1, 2};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof fds)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = request, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    if (sendmsg(s, &msg, MSG_NOSIGNAL) != (ssize_t)len)
        run_here(program, "cannot send the request");

    ssize_t n;
    do {
        n = recv(s, reply, sizeof reply - 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        /* the request went out: the command may have run, so it must not run twice */
        fprintf(stderr, "famfs: the mount server of %s went away while running the command; "
                        "it may or may not have completed\n", mount);
        return 1;
    }
    reply[n] = 0;
    if (strncmp(reply, "EXIT ", 5) == 0) {
        if (trace)
            fprintf(stderr, "famfs-fwd: ran in the server of %s\n", mount);
        return atoi(reply + 5) & 0xff;
    }
    if (strncmp(reply, "LOCAL ", 6) == 0)
        run_here(program, reply + 6);
    run_here(program, "unknown reply");
    return 1;
}
