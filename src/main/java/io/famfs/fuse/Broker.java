package io.famfs.fuse;

import io.famfs.device.Libc;
import io.famfs.device.UnixSocket;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The descriptor broker of a mount (protocol in docs/direct-access.md): a process asks
 * for a file by path and, if its credentials allow, gets a descriptor of the device
 * opened read-only or read-write, with the file's map, so it can map the file's device
 * pages itself. The caller is known by {@code SO_PEERCRED}, never by what it says.
 */
final class Broker implements AutoCloseable {
    static final String VERSION = "MAP1";
    /** How long a connection may wait before it sends its request. */
    static final long RECEIVE_TIMEOUT_MS = 10_000;

    private final MountedFs fs;
    private final Path mountPoint;
    private UnixSocket.Server server;

    private Broker(MountedFs fs, Path mountPoint) {
        this.fs = fs;
        this.mountPoint = mountPoint;
    }

    /** Listens at {@code socketPath} (a stale socket there is replaced). */
    static Broker start(MountedFs fs, Path mountPoint, Path socketPath) {
        Broker b = new Broker(fs, mountPoint);
        try {
            // anyone may connect; every request is checked against the caller's credentials
            b.server = UnixSocket.Server.start(socketPath, "broker", b::serve);
            return b;
        } catch (IOException | RuntimeException e) {
            throw new io.famfs.FamfsException("cannot start the broker at " + socketPath + ": " + e.getMessage());
        }
    }

    Path socketPath() {
        return server.path();
    }

    private void serve(UnixSocket conn) {
        UnixSocket.Peer peer = conn.peer();
        conn.receiveTimeout(RECEIVE_TIMEOUT_MS); // a caller that connects and says nothing
        UnixSocket.Message m = conn.receive(4096);
        Grant g = decide(peer, m.text());
        m.closeFds(); // nothing is expected from the caller
        if (g.errno != 0) {
            conn.send(("ERR " + g.errno + " " + g.message + "\n").getBytes(StandardCharsets.UTF_8), -1);
            return;
        }
        int dev;
        try {
            dev = Libc.open(fs.famfs().device().path().toString(), g.writable ? Libc.O_RDWR : Libc.O_RDONLY);
        } catch (Libc.NativeException e) {
            conn.send(("ERR " + e.errno() + " cannot open the device: " + e.getMessage() + "\n")
                    .getBytes(StandardCharsets.UTF_8), -1);
            return;
        }
        try {
            conn.send(("OK\n" + g.fmap).getBytes(StandardCharsets.UTF_8), dev);
        } finally {
            Libc.close(dev);
        }
    }

    /** What a request gets: an errno (0: granted), and for a grant its mode and map. */
    record Grant(int errno, String message, boolean writable, String fmap) {
        static Grant refuse(int errno, String message) {
            return new Grant(errno, message, false, null);
        }
    }

    Grant decide(UnixSocket.Peer peer, String request) {
        String[] parts = request.strip().split(" ", 3);
        if (parts.length != 3 || !parts[0].equals(VERSION) || !(parts[1].equals("r") || parts[1].equals("rw"))) {
            return Grant.refuse(Errno.EINVAL, "expected '" + VERSION + " r|rw PATH'");
        }
        boolean rw = parts[1].equals("rw");
        String path = parts[2];
        String rel;
        String root = mountPoint.toString();
        if (path.startsWith("/")) {
            if (!path.startsWith(root + "/")) {
                // a path through a symlink (to the mount, or to a directory above it): the
                // mount point is held as the kernel lists it, so resolve the caller's path too
                path = resolved(path);
            }
            if (!path.startsWith(root + "/")) {
                return Grant.refuse(Errno.ENOENT, PathRules.printable(parts[2]) + " is not in the mount at " + root);
            }
            rel = path.substring(root.length() + 1);
        } else {
            rel = path;
        }
        rel = PathRules.tidy(rel);
        if (PathRules.problem(rel) != null) {
            return Grant.refuse(Errno.ENOENT, "no such file: " + PathRules.printable(path));
        }
        if (!fs.checkUnchanged() || fs.health().quarantined()) {
            return Grant.refuse(Errno.EIO, "the device is down: " + fs.health().fault().map(f -> f.kind() + ": " + f.detail())
                    .orElse("quarantined"));
        }
        Namespace.Node node = fs.namespace().lookup(rel);
        if (node == null) {
            return Grant.refuse(Errno.ENOENT, "no such file: " + PathRules.printable(path));
        }
        if (!(node instanceof Namespace.File f)) {
            return Grant.refuse(Errno.EISDIR, PathRules.printable(path) + " is a directory");
        }
        if (rw && !fs.mayWriteFiles()) {
            return Grant.refuse(Errno.EROFS, "this node is a client mounted read-only (famfs mount -w to write)");
        }
        if (peer.uid() != 0 && !permitted(peer, f, rw)) {
            return Grant.refuse(Errno.EACCES, "uid " + peer.uid() + " may not " + (rw ? "read and write " : "read ")
                    + PathRules.printable(path));
        }
        return new Grant(0, null, rw, Xattrs.encode(f.meta().fmap(), f.size()));
    }

    /** {@code path} with its symbolic links resolved; as it is if it cannot be (no such file). */
    private static String resolved(String path) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (IOException | RuntimeException e) {
            return path;
        }
    }

    /** The kernel's default_permissions rule: owner, else group (incl. supplementary), else other. */
    private boolean permitted(UnixSocket.Peer peer, Namespace.File f, boolean rw) {
        int mode = fs.presentedFileMode(f.mode());
        int bits;
        if (peer.uid() == f.uid()) {
            bits = (mode >> 6) & 7;
        } else if (peer.gid() == f.gid() || groups(peer.pid()).contains(f.gid())) {
            bits = (mode >> 3) & 7;
        } else {
            bits = mode & 7;
        }
        return (bits & 4) != 0 && (!rw || (bits & 2) != 0);
    }

    /** Supplementary groups of a process, from /proc (empty if it cannot be read). */
    static Set<Integer> groups(int pid) {
        Set<Integer> out = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("Groups:")) {
                    for (String g : line.substring(7).trim().split("\\s+")) {
                        if (!g.isEmpty()) {
                            out.add(Integer.parseInt(g));
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: no supplementary groups
        }
        return out;
    }

    @Override
    public void close() {
        server.close();
    }
}
