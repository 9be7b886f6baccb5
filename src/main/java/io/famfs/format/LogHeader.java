package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * Flyweight over {@code struct famfs_log} at device offset 0x200000 (48-byte header,
 * then the entry array).
 *
 * <pre>
 *  0 | famfs_log_magic       u64 | 0x00000badcafef00d
 *  8 | famfs_log_len         u64 | whole log incl. header (== ts_log_len)
 * 16 | famfs_log_last_index  u64 | (log_len - 48) / 544 - 1
 * 24 | famfs_log_crc         u64 | CRC-32 of [0, 24)
 * 32 | famfs_log_next_seqnum u64 | not in the CRC
 * 40 | famfs_log_next_index  u64 | entries in use; not in the CRC
 * 48 | entries[]                 | 544 bytes each
 * </pre>
 *
 * {@code next_index} is the publication point shared between hosts: a writer makes the
 * entry complete before it stores the new index with release semantics, and a reader
 * loads it with acquire semantics before it reads any entry below it.
 */
public final class LogHeader {
    public static final long MAGIC = 0x00000badcafef00dL;
    public static final int SIZE = 48;
    public static final long MIN_LOG_LEN = 8L << 20;

    static final int OFF_MAGIC = 0;
    static final int OFF_LEN = 8;
    static final int OFF_LAST_INDEX = 16;
    static final int OFF_CRC = 24;
    static final int CRC_SPAN = OFF_CRC;
    static final int OFF_NEXT_SEQNUM = 32;
    static final int OFF_NEXT_INDEX = 40;

    private final MemorySegment log;

    /** Wraps the whole log region (header and entries). */
    public LogHeader(MemorySegment log) {
        this.log = log;
    }

    public static long lastIndexFor(long logLen) {
        return (logLen - SIZE) / LogEntry.SIZE - 1;
    }

    public long magic() {
        return Le.u64(log, OFF_MAGIC);
    }

    public long length() {
        return Le.u64(log, OFF_LEN);
    }

    public long lastIndex() {
        return Le.u64(log, OFF_LAST_INDEX);
    }

    /** Number of entry slots in this log. */
    public long capacity() {
        return lastIndex() + 1;
    }

    public long storedCrc() {
        return Le.u64(log, OFF_CRC);
    }

    public long computedCrc() {
        return Crc32s.of(log, 0, CRC_SPAN);
    }

    public long nextSeqnum() {
        return Le.u64(log, OFF_NEXT_SEQNUM);
    }

    /** Acquire-load of the number of published entries. */
    public long nextIndex() {
        long value = Le.u64(log, OFF_NEXT_INDEX);
        VarHandle.acquireFence();
        return value;
    }

    /** Null when the header is valid for a log of {@code expectedLen} bytes, else why not. */
    public String problem(long expectedLen) {
        if (magic() != MAGIC) {
            return String.format("bad log magic 0x%x (expected 0x%x)", magic(), MAGIC);
        }
        if (storedCrc() != computedCrc()) {
            return String.format("log header CRC mismatch (stored 0x%x, computed 0x%x)", storedCrc(), computedCrc());
        }
        if (length() != expectedLen) {
            return String.format("log length %d does not match superblock log length %d", length(), expectedLen);
        }
        if (lastIndex() != lastIndexFor(expectedLen)) {
            return String.format("log last index %d is wrong for a %d-byte log", lastIndex(), expectedLen);
        }
        long next = nextIndex();
        long seq = nextSeqnum();
        // publishNext stores next_seqnum, then next_index: a reader between the two stores
        // (another host, or a process not holding the lock) sees the seqnum one ahead
        if (next > lastIndex() + 1 || (seq != next && seq != next + 1)) {
            return String.format("log next index %d / next seqnum %d out of range", next, nextSeqnum());
        }
        return null;
    }

    /** mkfs: zero the whole log, then write a fresh header. */
    public void format(long logLen) {
        log.asSlice(0, logLen).fill((byte) 0);
        Le.u64(log, OFF_MAGIC, MAGIC);
        Le.u64(log, OFF_LEN, logLen);
        Le.u64(log, OFF_LAST_INDEX, lastIndexFor(logLen));
        Le.u64(log, OFF_CRC, computedCrc());
        Le.u64(log, OFF_NEXT_SEQNUM, 0);
        Le.u64(log, OFF_NEXT_INDEX, 0);
    }

    /**
     * Publishes one more entry. The caller has fully written entry {@code nextIndex()};
     * the release fence orders those stores before the counters become visible.
     */
    public void publishNext() {
        long next = Le.u64(log, OFF_NEXT_INDEX);
        VarHandle.releaseFence();
        Le.u64(log, OFF_NEXT_SEQNUM, next + 1);
        Le.u64(log, OFF_NEXT_INDEX, next + 1);
        VarHandle.fullFence();
    }

    /** The 544-byte slot of entry {@code index}. */
    public MemorySegment slot(long index) {
        return log.asSlice(SIZE + LogEntry.SIZE * index, LogEntry.SIZE);
    }

    /** Bytes of the log in use: header plus used entries (what fsck calls "log size in use"). */
    public static long bytesInUse(long entries) {
        return SIZE + LogEntry.SIZE * entries;
    }
}
