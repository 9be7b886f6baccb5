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
        fs.requireValidLog();
        fs.writerLock().lock();
        try {
            Libc.flock(fs.device().fd(), Libc.LOCK_EX);
        } catch (RuntimeException e) {
            fs.writerLock().unlock();
            throw new FamfsException("cannot lock " + fs.device().path() + ": " + e.getMessage());
        }
        MasterSession session = new MasterSession(fs);
        try {
            ReplayReport replay = session.replayer.replay();
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
        replayer.replay();
    }

    /** Logs a directory. The parent must exist; an existing directory is an error. */
    public void mkdir(String path, int mode, int uid, int gid) {
        checkNewPath(path);
        append(new LogRecord.Mkdir(path, uid, gid, mode & 07777));
    }

    /** Allocates and logs a file; returns the logged record. */
    public LogRecord.File createFile(String path, long size, int mode, int uid, int gid, AllocConfig config) {
        checkNewPath(path);
        if (size <= 0) {
            throw new FamfsException(path + ": file size must be positive");
        }
        Superblock sb = fs.superblock();
        config.validate(sb.deviceSize(), sb.allocUnit());
        checkLogSpace();
        Fmap fmap = allocator().allocate(size, config);
        LogRecord.File record = new LogRecord.File(path, size, LogRecord.FLAG_ALL_HOSTS_RW, uid, gid, mode & 07777, fmap);
        append(record);
        return record;
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
            bitmap = AllocationBitmap.build(fs);
            allocator = new Allocator(bitmap);
        }
        return allocator;
    }

    private void checkNewPath(String path) {
        ensureOpen();
        String problem = PathRules.newPathProblem(path);
        if (problem != null) {
            throw new FamfsException("invalid path '" + path + "': " + problem);
        }
        Namespace.Node parent = namespace().lookup(PathRules.parent(path));
        if (parent == null) {
            throw new FamfsException(path + ": parent directory does not exist");
        }
        if (!(parent instanceof Namespace.Dir)) {
            throw new FamfsException(path + ": parent is not a directory");
        }
        if (namespace().lookup(path) != null) {
            throw new FamfsException(path + ": already exists");
        }
    }

    private void checkLogSpace() {
        LogHeader log = fs.log();
        if (log.nextIndex() > log.lastIndex()) {
            throw new FamfsException("log full: all " + log.capacity() + " entries of " + fs.device().path()
                    + " are used");
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
