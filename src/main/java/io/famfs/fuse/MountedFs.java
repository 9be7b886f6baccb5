package io.famfs.fuse;

import io.famfs.log.AllocationBitmap;
import io.famfs.log.Famfs;
import io.famfs.log.ReplayReport;
import io.famfs.log.Replayer;
import io.famfs.log.Role;
import io.famfs.namespace.Namespace;

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
    private final long mountedAtSeconds = System.currentTimeMillis() / 1000;
    private volatile long allocatedBytes;
    private volatile ReplayReport lastReport;
    private final AtomicLong replays = new AtomicLong();

    public MountedFs(Famfs famfs, Role role, MountOptions options) {
        this.famfs = famfs;
        this.role = role;
        this.options = options;
        this.replayer = new Replayer(famfs);
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
        return famfs.log().nextIndex() != replayer.appliedIndex();
    }

    /** Applies new entries now; also refreshes the capacity figures when any were applied. */
    public synchronized ReplayReport replay() {
        ReplayReport r = replayer.replay();
        if (r.toIndex() != r.fromIndex() || lastReport == null) {
            allocatedBytes = AllocationBitmap.build(famfs, r.toIndex()).allocatedBytes();
        }
        lastReport = r;
        replays.incrementAndGet();
        return r;
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
