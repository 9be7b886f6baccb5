package io.famfs.fuse;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.log.ReplayReport;
import io.famfs.log.Role;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One running mount: validates the device, replays its log, mounts the FUSE file system
 * and follows the log until unmounted ({@code famfs umount}, {@code fusermount -u}, or
 * {@link #close} on SIGTERM).
 */
public final class FuseServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FuseServer.class.getName());

    private final MountedFs mounted;
    private final FamfsFuse fuse;
    private final Path mountPoint;
    private final LogFollower follower;
    private final Thread loop;
    private volatile Throwable loopFailure;
    private volatile boolean closed;
    private volatile MountHome home;
    private volatile Broker broker;
    private volatile ShadowRest shadowRest;

    private FuseServer(MountedFs mounted, Path mountPoint) {
        this.mounted = mounted;
        // as the kernel lists it (symlinks resolved): what /proc/self/fd links, the broker's
        // requests, the CLI's forwarder and the mount home all name
        this.mountPoint = MountTable.canonical(mountPoint);
        this.fuse = new FamfsFuse(mounted);
        this.follower = new LogFollower(mounted, mounted.options().pollMillis());
        this.loop = Thread.ofPlatform().name("famfs-fuse-loop").unstarted(this::runLoop);
    }

    /** Validates, replays, mounts; returns once the mount answers. One-line errors otherwise. */
    public static FuseServer start(Path device, Path mountPoint, MountOptions options, UUID node) {
        if (device.toString().contains(",")) {
            throw new FamfsException(device + ": a device path for mount may not contain ','");
        }
        if (!Files.isDirectory(mountPoint)) {
            throw new FamfsException(mountPoint + ": mount point is not a directory");
        }
        if (MountTable.isMounted(mountPoint)) {
            throw new FamfsException(mountPoint + ": a famfs is already mounted there");
        }
        Role role;
        try (Famfs probe = Famfs.open(device, false)) {
            probe.requireValidLog();
            role = probe.roleOf(node);
        }
        boolean writable = role == Role.MASTER || options.clientWritable();
        Famfs famfs = Famfs.open(device, writable);
        try {
            famfs.requireValidLog();
            MountedFs mounted = new MountedFs(famfs, role, options);
            ReplayReport first = mounted.replay();
            if (!first.clean()) {
                LOG.warning("initial replay of " + device + ": " + first.errors() + " errors; "
                        + String.join("; ", first.rejected()) + (first.stopReason() == null ? "" : "; " + first.stopReason()));
            }
            FuseServer server = new FuseServer(mounted, mountPoint);
            server.mount(device);
            try {
                server.publishHome("");
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (RuntimeException e) {
            famfs.close();
            throw e;
        }
    }

    private List<String> fuseArgs(Path device) {
        MountOptions o = mounted.options();
        List<String> opts = new ArrayList<>();
        opts.add("fsname=" + device.toAbsolutePath());
        opts.add("subtype=famfs");
        opts.add("use_ino");
        opts.add("big_writes");
        opts.add("entry_timeout=" + o.timeoutSeconds());
        opts.add("attr_timeout=" + o.timeoutSeconds());
        opts.add("negative_timeout=0");
        if (o.defaultPermissions()) {
            opts.add("default_permissions");
        }
        if (o.allowOther()) {
            opts.add("allow_other");
        }
        if (!o.extraFuseOptions().isBlank()) {
            opts.add(o.extraFuseOptions());
        }
        List<String> args = new ArrayList<>(List.of("-o", String.join(",", opts)));
        if (o.singleThreaded()) {
            args.add("-s");
        }
        return args;
    }

    private String[] args;

    private void mount(Path device) {
        args = fuseArgs(device).toArray(String[]::new);
        loop.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (loopFailure != null || !loop.isAlive()) {
                close();
                throw new FamfsException("cannot mount " + mountPoint + ": "
                        + (loopFailure == null ? "libfuse ended at once (is /dev/fuse available?)" : rootMessage(loopFailure)));
            }
            if (MountTable.isMounted(mountPoint)) {
                follower.start();
                warmUp();
                return;
            }
            sleep(10);
        }
        close();
        throw new FamfsException("cannot mount " + mountPoint + ": timed out waiting for the kernel");
    }

    /**
     * Sends a few thousand reads of {@code .meta/.superblock} through the mount, so the
     * JIT has compiled the request path before the first user read (a cold JVM serves
     * its first gigabyte at about half speed). Takes about 0.2 s.
     */
    private void warmUp() {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(128 << 10);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                mountPoint.resolve(".meta/.superblock"), java.nio.file.StandardOpenOption.READ)) {
            long size = ch.size();
            for (int i = 0; i < 3000; i++) {
                buf.clear();
                ch.read(buf, (i * (long) buf.capacity()) % size);
            }
        } catch (java.io.IOException e) {
            LOG.warning("warm-up reads failed: " + e.getMessage());
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    private void runLoop() {
        try {
            // blocks in fuse_main until the file system is unmounted
            fuse.mount(mountPoint, true, mounted.options().debug(), args);
        } catch (Throwable t) {
            loopFailure = t;
        }
    }

    public MountedFs mounted() {
        return mounted;
    }

    public FamfsFuse fuse() {
        return fuse;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Records this server in its mount's home (see {@link MountHome}); {@code api} may be empty. */
    public void publishHome(String api) {
        MountHome h = MountHome.of(mountPoint);
        h.create(mountPoint, mounted.famfs().device().path(), mounted.superblock().fsUuid(), api);
        home = h;
        if (broker == null) {
            broker = Broker.start(mounted, mountPoint, h.brokerSocket());
        }
        if (shadowRest == null) {
            shadowRest = startShadow(h.shadowDir());
        }
        fuse.home(h, broker.socketPath());
    }

    /**
     * Upstream famfs_fused's layout in the home's shadow dir: SHADOW/root holds the shadow
     * tree (written now, and after every replay that applies entries), SHADOW/sock the
     * REST socket. Upstream tools that read SHADOW/root see this mount's file system.
     */
    private ShadowRest startShadow(Path shadow) {
        try {
            Files.createDirectories(shadow);
            Files.setPosixFilePermissions(shadow, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (java.io.IOException e) {
            throw new FamfsException("cannot make the shadow dir " + shadow + ": " + e.getMessage());
        }
        io.famfs.shadow.ShadowTree tree = io.famfs.shadow.ShadowTree.at(shadow);
        boolean client = mounted.role() != Role.MASTER;
        mounted.onReplay(() -> {
            tree.writeMeta(mounted.superblock().logLen(), client);
            logProblems(tree.write(mounted.namespace(), null, 0, false, false, null));
        }, r -> logProblems(tree.write(mounted.namespace(), null, r.fromIndex(), false, false, null)));
        return ShadowRest.start(mounted, shadow.resolve("sock"));
    }

    private static void logProblems(io.famfs.shadow.ShadowTree.Stats s) {
        for (String p : s.problems) {
            LOG.warning("shadow tree: " + p);
        }
    }

    /** The REST socket of upstream's layout (SHADOW/sock), once published. */
    public Path shadowSocket() {
        return shadowRest == null ? null : shadowRest.socket();
    }

    /** This mount's home, once published. */
    public MountHome home() {
        return home;
    }

    /** Blocks until the mount goes away (unmounted from outside, or {@link #close}). */
    public void awaitUnmount() throws InterruptedException {
        loop.join();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Unmounts (lazily, so busy files do not keep the mount alive) and releases the device. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        follower.close();
        fuse.shutdown();
        if (MountTable.isMounted(mountPoint)) {
            Unmount.run(mountPoint);
        }
        try {
            loop.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (broker != null) {
            broker.close();
        }
        if (shadowRest != null) {
            shadowRest.close();
        }
        mounted.famfs().close();
        if (home != null) {
            home.remove();
        }
    }
}
