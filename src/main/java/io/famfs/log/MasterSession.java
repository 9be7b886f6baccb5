package io.famfs.log;

import io.famfs.FamfsException;
import io.famfs.device.Libc;
import io.famfs.format.Fmap;
import io.famfs.format.LogEntry;
import io.famfs.format.LogHeader;
import io.famfs.format.LogRecord;
import io.famfs.format.Superblock;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;

import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * The master's locked sequence (upstream's famfs_init_locked_log ... release): take the
 * host-wide lock, replay the log to know what exists, rebuild the allocation bitmap,
 * then allocate and append. Everything that mutates a famfs goes through here, so the
 * role check and path validation cannot be skipped.
 *
 * <p>Crash consistency of an append: the entry is written and flushed in its slot first;
 * only then is {@code next_index} advanced (release store) and flushed. A reader on any
 * host that sees the new index therefore sees a complete entry; a crash before the
 * index store leaves a slot that no reader looks at.
 */
public final class MasterSession implements AutoCloseable {
    private final Famfs fs;
    private final Replayer replayer;
    private AllocationBitmap bitmap;
    private Allocator allocator;
    private boolean open = true;
    /** Files allocated in this session whose entries are not logged yet (see {@link #allocate}). */
    private final java.util.Set<String> pending = new java.util.HashSet<>();

    private MasterSession(Famfs fs) {
        this.fs = fs;
        this.replayer = new Replayer(fs);
    }

    /** Begins a session; fails unless {@code node} is the master and the log is valid. */
    public static MasterSession begin(Famfs fs, UUID node) {
        if (fs.roleOf(node) != Role.MASTER) {
            throw new FamfsException("this node (system UUID " + node + ") is a client of "
                    + fs.device().path() + "; only the master (" + fs.superblock().systemUuid() + ") may change it");
        }
        if (!fs.device().writable()) {
            throw new FamfsException(fs.device().path() + " is open read-only");
        }
        fs.writerLock().lock();
        try {
            Libc.flock(fs.device().fd(), Libc.LOCK_EX);
        } catch (RuntimeException e) {
            fs.writerLock().unlock();
            throw new FamfsException("cannot lock " + fs.device().path() + ": " + e.getMessage());
        }
        MasterSession session = new MasterSession(fs);
        try {
            fs.requireValidLog(); // under the lock: no append of this host is half-published
            // the tree and the allocation bitmap from one read of the log
            session.bitmap = AllocationBitmap.empty(fs.superblock());
            ReplayReport replay = session.replayer.replay(session.bitmap.alongsideReplay());
            if (replay.stopReason() != null) {
                // the corrupt entry's space would look free: appending could cross-link data
                throw new FamfsException(replay.stopReason() + "; refusing to change a damaged log (run famfs fsck)");
            }
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        return session;
    }

    public Namespace namespace() {
        return replayer.namespace();
    }

    /** Picks up entries appended since the session began (by this session). */
    private void catchUp() {
        if (allocator == null) {
            replayer.replay(bitmap.alongsideReplay());
        } else {
            // the allocator set the bits of what this session allocated (and logged) itself
            replayer.replay();
        }
    }

    /** Logs a directory. The parent must exist; an existing directory is an error. */
    public synchronized void mkdir(String path, int mode, int uid, int gid) {
        checkNewPath(path);
        append(new LogRecord.Mkdir(path, uid, gid, mode & 07777));
    }

    /** Allocates and logs a file; returns the logged record. */
    public LogRecord.File createFile(String path, long size, int mode, int uid, int gid, AllocConfig config) {
        LogRecord.File record = allocate(path, size, mode, uid, gid, config);
        publish(record);
        return record;
    }

    /**
     * Allocates a file's space and reserves its name and a log slot, without logging it:
     * the caller writes the data, then {@link #publish}es the entry, so a logged file
     * always has its data (a crash or failure in between leaves nothing in the log; the
     * space is free again for the next session). Thread-safe with {@link #publish}.
     */
    public synchronized LogRecord.File allocate(String path, long size, int mode, int uid, int gid, AllocConfig config) {
        checkNewPath(path);
        if (size <= 0) {
            throw new FamfsException(path + ": file size must be positive", FamfsException.Reason.INVALID);
        }
        Superblock sb = fs.superblock();
        config.validate(sb.deviceSize(), sb.allocUnit());
        LogHeader log = fs.log();
        if (log.nextIndex() + pending.size() > log.lastIndex()) {
            throw new FamfsException("log full: all " + log.capacity() + " entries of " + fs.device().path()
                    + " are used or being filled", FamfsException.Reason.NO_SPACE);
        }
        Fmap fmap = allocator().allocate(size, config);
        LogRecord.File record = new LogRecord.File(path, size, LogRecord.FLAG_ALL_HOSTS_RW, uid, gid, mode & 07777, fmap);
        pending.add(path);
        return record;
    }

    /** Logs a file {@link #allocate}d in this session (its data is written). */
    public synchronized void publish(LogRecord.File allocated) {
        if (!pending.remove(allocated.path())) {
            throw new IllegalStateException(allocated.path() + " was not allocated in this session");
        }
        append(allocated);
    }

    /** Gives up a file {@link #allocate}d in this session: it is never logged. */
    public synchronized void abandon(LogRecord.File allocated) {
        pending.remove(allocated.path());
    }

    /** Logs a file over existing extents ({@code famfs clone}: a deliberate cross-link). */
    public LogRecord.File cloneFile(String path, LogRecord.File source) {
        checkNewPath(path);
        LogRecord.File record = new LogRecord.File(path, source.size(), source.flags(), source.uid(), source.gid(),
                source.mode(), source.fmap());
        append(record);
        return record;
    }

    private Allocator allocator() {
        if (allocator == null) {
            allocator = new Allocator(bitmap);
        }
        return allocator;
    }

    private void checkNewPath(String path) {
        ensureOpen();
        String problem = PathRules.newPathProblem(path);
        if (problem != null) {
            throw new FamfsException("invalid path '" + path + "': " + problem, FamfsException.Reason.INVALID);
        }
        Namespace.Node parent = namespace().lookup(PathRules.parent(path));
        if (parent == null) {
            throw new FamfsException(path + ": parent directory does not exist", FamfsException.Reason.NOT_FOUND);
        }
        if (!(parent instanceof Namespace.Dir)) {
            throw new FamfsException(path + ": parent is not a directory", FamfsException.Reason.INVALID);
        }
        if (namespace().lookup(path) != null || pending.contains(path)) {
            throw new FamfsException(path + ": already exists", FamfsException.Reason.EXISTS);
        }
    }

    private void checkLogSpace() {
        LogHeader log = fs.log();
        if (log.nextIndex() > log.lastIndex()) {
            throw new FamfsException("log full: all " + log.capacity() + " entries of " + fs.device().path()
                    + " are used", FamfsException.Reason.NO_SPACE);
        }
    }

    /** Writes the entry, then publishes it (see class comment). */
    private void append(LogRecord record) {
        checkLogSpace();
        LogHeader log = fs.log();
        long index = log.nextIndex();
        MemorySegment slot = log.slot(index);
        LogEntry.encode(record, index, slot);
        long slotOffset = Superblock.LOG_OFFSET + LogHeader.SIZE + (long) LogEntry.SIZE * index;
        fs.device().flush(slotOffset, LogEntry.SIZE);
        log.publishNext();
        fs.device().flush(Superblock.LOG_OFFSET, LogHeader.SIZE);
        catchUp();
    }

    private void ensureOpen() {
        if (!open) {
            throw new IllegalStateException("session closed");
        }
    }

    public Famfs famfs() {
        return fs;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try {
            Libc.flock(fs.device().fd(), Libc.LOCK_UN);
        } finally {
            fs.writerLock().unlock();
        }
    }
}
