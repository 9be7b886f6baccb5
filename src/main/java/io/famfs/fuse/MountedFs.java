package io.famfs.fuse;

import io.famfs.log.AllocationBitmap;
import io.famfs.log.Famfs;
import io.famfs.log.ReplayReport;
import io.famfs.log.Replayer;
import io.famfs.log.Role;
import io.famfs.namespace.Namespace;
import io.famfs.ras.BadblocksMonitor;
import io.famfs.ras.DeviceHealth;
import io.famfs.ras.Fault;
import io.famfs.ras.FaultInjector;

import java.util.Optional;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The file system a mount serves: the opened famfs, the namespace replayed from its log,
 * this node's role, and the figures statfs reports. Replays are serialised; readers of
 * the namespace never wait for them.
 */
public final class MountedFs {
    private final Famfs famfs;
    private final Role role;
    private final MountOptions options;
    private final Replayer replayer;
    /** Allocation units in use, fed by each replay pass (capacity figures). */
    private final AllocationBitmap allocation;
    private final long mountedAtSeconds = System.currentTimeMillis() / 1000;
    private volatile long allocatedBytes;
    private volatile ReplayReport lastReport;
    private final AtomicLong replays = new AtomicLong();
    private final DeviceHealth health;
    private final FaultInjector injector;
    private final Optional<BadblocksMonitor> badblocks;
    private final FuseStats stats = new FuseStats();
    private volatile long lastReplayMillis;
    private final SuperblockInfo superblock;
    private final io.famfs.log.ChangeDetector changes;

    /** The superblock as it was at mount: reported without touching (possibly faulty) memory. */
    public record SuperblockInfo(java.util.UUID fsUuid, java.util.UUID devUuid, java.util.UUID masterUuid, long version,
                                 long omfMajor, long omfMinor, long logLen, long allocUnit, long deviceSize,
                                 String deviceName) {
    }

    public SuperblockInfo superblock() {
        return superblock;
    }

    public MountedFs(Famfs famfs, Role role, MountOptions options) {
        this.famfs = famfs;
        this.role = role;
        this.options = options;
        this.replayer = new Replayer(famfs);
        this.allocation = AllocationBitmap.empty(famfs.superblock());
        this.health = new DeviceHealth(famfs.device().path().toString());
        this.injector = new FaultInjector(options.faultInjection());
        this.badblocks = famfs.device().sysfsNode().flatMap(BadblocksMonitor::forSysfsNode);
        var sb = famfs.superblock();
        this.changes = new io.famfs.log.ChangeDetector(famfs);
        this.superblock = new SuperblockInfo(sb.fsUuid(), sb.devUuid(), sb.systemUuid(), sb.version(), sb.omfMajor(),
                sb.omfMinor(), sb.logLen(), sb.allocUnit(), sb.deviceSize(), sb.deviceName());
    }

    public DeviceHealth health() {
        return health;
    }

    public FaultInjector injector() {
        return injector;
    }

    public FuseStats stats() {
        return stats;
    }

    public Optional<BadblocksMonitor> badblocks() {
        return badblocks;
    }

    /** Quarantines the device if the kernel lists bad blocks for it. */
    void checkBadblocks() {
        badblocks.flatMap(BadblocksMonitor::firstBadRange).ifPresent(r -> health.report(Fault.Kind.BADBLOCKS, r[0],
                r[1] + " bad bytes listed in " + badblocks.get().file()));
    }

    /**
     * Quarantines the mount if the device no longer holds the file system it replayed
     * (re-made by mkfs on any host, or damaged metadata); true while it still does.
     * Called on every poll of the log and before every replay.
     */
    public boolean checkUnchanged() {
        if (health.quarantined()) {
            return false;
        }
        String problem = changes.problem();
        if (problem != null) {
            health.report(Fault.Kind.FS_CHANGED, 0, problem);
            return false;
        }
        return true;
    }

    /** Milliseconds since the epoch of the last replay pass. */
    public long lastReplayMillis() {
        return lastReplayMillis;
    }

    /** Entries published in the log that this mount has not applied (0 once caught up). */
    public long lagEntries() {
        if (health.quarantined()) {
            return 0;
        }
        return Math.max(0, famfs.log().nextIndex() - replayer.appliedIndex());
    }

    public Famfs famfs() {
        return famfs;
    }

    public Role role() {
        return role;
    }

    public MountOptions options() {
        return options;
    }

    public Namespace namespace() {
        return replayer.namespace();
    }

    long mountedAtSeconds() {
        return mountedAtSeconds;
    }

    /** True when the log holds entries this mount has not applied. */
    boolean logMoved() {
        return !health.quarantined() && famfs.log().nextIndex() != replayer.appliedIndex();
    }

    /**
     * Applies new entries now; also refreshes the capacity figures when any were applied.
     * A quarantined device is not touched: the report then says so and applies nothing.
     */
    public synchronized ReplayReport replay() {
        long at = replayer.appliedIndex();
        if (health.quarantined()) {
            return new ReplayReport(at, at, 0, 0, 0, java.util.List.of(), "device is quarantined; replay stopped");
        }
        ReplayReport r;
        try {
            injector.touch(io.famfs.format.Superblock.LOG_OFFSET, famfs.superblock().logLen());
            if (!checkUnchanged()) {
                return new ReplayReport(at, at, 0, 0, 0, java.util.List.of(),
                        health.fault().map(Fault::detail).orElse("device is quarantined") + "; replay stopped");
            }
            r = replayer.replay(allocation.alongsideReplay());
            changes.remember(r.toIndex());
        } catch (InternalError | FaultInjector.InjectedFault e) {
            long off = e instanceof FaultInjector.InjectedFault f ? f.offset() : io.famfs.format.Superblock.LOG_OFFSET;
            health.report(e instanceof InternalError ? Fault.Kind.MEMORY_FAULT : Fault.Kind.INJECTED, off,
                    "while replaying the log: " + e.getMessage());
            return new ReplayReport(at, at, 0, 0, 0, java.util.List.of(), "memory error while replaying; device quarantined");
        }
        lastReplayMillis = System.currentTimeMillis();
        allocatedBytes = allocation.allocatedBytes();
        lastReport = r;
        replays.incrementAndGet();
        var l = replayListener;
        if (l != null && r.toIndex() != r.fromIndex()) {
            try {
                l.accept(r);
            } catch (RuntimeException e) {
                java.util.logging.Logger.getLogger(MountedFs.class.getName()).warning("after replay: " + e.getMessage());
            }
        }
        return r;
    }

    private volatile java.util.function.Consumer<ReplayReport> replayListener;

    /**
     * Runs {@code initial} now and {@code listener} after every later replay pass that
     * applied entries, serialised with replays (the shadow tree follows the log this way).
     */
    public synchronized void onReplay(Runnable initial, java.util.function.Consumer<ReplayReport> listener) {
        initial.run();
        replayListener = listener;
    }

    public long appliedIndex() {
        return replayer.appliedIndex();
    }

    public ReplayReport lastReport() {
        return lastReport;
    }

    long allocatedBytes() {
        return allocatedBytes;
    }

    /** Bytes allocated as of the last replay. */
    public long allocatedBytesNow() {
        return allocatedBytes;
    }

    /** The mode a client presents for a file (write bits stripped on read-only clients). */
    public int presentedMode(int loggedMode) {
        return presentedFileMode(loggedMode);
    }

    /** Mode bits as this node presents them: clients see files read-only unless asked otherwise. */
    int presentedFileMode(int loggedMode) {
        if (role == Role.MASTER || options.clientWritable()) {
            return loggedMode;
        }
        return loggedMode & ~0222;
    }

    boolean mayWriteFiles() {
        return role == Role.MASTER || options.clientWritable();
    }
}
