package io.famfs.log;

import io.famfs.format.LogEntry;
import io.famfs.format.LogHeader;
import io.famfs.format.Superblock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Tells whether the file system a mount replayed is still the one on the device. A mount
 * keeps serving its replayed tree from device offsets; if the device is re-made
 * ({@code mkfs.famfs -f} on any host) or its metadata is damaged, those offsets now hold
 * other files' bytes, so the mount must stop serving before a read returns them.
 *
 * <p>What is remembered, and must not change while mounted:
 * <pre>
 *   device offset 0                      0x200000 (log)
 *   +-------------------------+ ... +----------------------+----------------------+----
 *   | superblock [0, 200)     |     | log header [0, 32)   | next_seqnum next_idx | entry 0 .. applied-1
 *   | magic..crc, dd fields   |     | magic len last crc   | (may only grow)      | (544 bytes each)
 *   +-------------------------+ ... +----------------------+----------------------+----
 * </pre>
 * The superblock bytes and the fixed half of the log header are compared as a whole;
 * {@code next_index} must not fall below what was applied; every applied entry is
 * compared with the bytes that were replayed. One check reads 232 bytes plus 544 per
 * applied entry (0.85 MB for 1,560 entries), a vectorised comparison.
 */
public final class ChangeDetector {
    /** Bytes of the log header that never change after mkfs: magic, length, last index, CRC. */
    static final int HEADER_FIXED = 32;

    private final MemorySegment device;
    private final MemorySegment logRegion;
    private final byte[] superblock;
    private final byte[] header;
    private byte[] entries = new byte[0];
    private long remembered;

    public ChangeDetector(Famfs fs) {
        this.device = fs.device().memory();
        this.logRegion = fs.logRegion();
        this.superblock = device.asSlice(0, Superblock.SIZE).toArray(ValueLayout.JAVA_BYTE);
        this.header = logRegion.asSlice(0, HEADER_FIXED).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Remembers the entries up to {@code appliedIndex} (called after each replay pass). */
    public synchronized void remember(long appliedIndex) {
        if (appliedIndex <= remembered) {
            return;
        }
        long bytes = (long) LogEntry.SIZE * appliedIndex;
        if (bytes > entries.length) {
            entries = Arrays.copyOf(entries, (int) Math.max(bytes, Math.min(Integer.MAX_VALUE - 8, 2L * entries.length)));
        }
        long from = (long) LogEntry.SIZE * remembered;
        MemorySegment.copy(logRegion, ValueLayout.JAVA_BYTE, LogHeader.SIZE + from, entries, (int) from,
                (int) (bytes - from));
        remembered = appliedIndex;
    }

    /** Null while the device holds the remembered file system, else what changed. */
    public synchronized String problem() {
        long at = MemorySegment.mismatch(device, 0, Superblock.SIZE, MemorySegment.ofArray(superblock), 0, Superblock.SIZE);
        if (at >= 0) {
            Superblock sb = new Superblock(device);
            Superblock.Status status = sb.check();
            if (!status.isValid()) {
                return "the superblock changed under the mount (" + sb.describe(status) + ")";
            }
            if (!sb.fsUuid().equals(new Superblock(MemorySegment.ofArray(superblock)).fsUuid())) {
                return "the file system was re-made under the mount (fs uuid is now " + sb.fsUuid() + ")";
            }
            return String.format("the superblock changed under the mount (byte 0x%x)", at);
        }
        at = MemorySegment.mismatch(logRegion, 0, HEADER_FIXED, MemorySegment.ofArray(header), 0, HEADER_FIXED);
        if (at >= 0) {
            return String.format("the log header changed under the mount (byte 0x%x)", at);
        }
        long next = new LogHeader(logRegion).nextIndex();
        if (next < remembered) {
            return "the log's next_index went back from " + remembered + " to " + next
                    + " (re-made or damaged under the mount)";
        }
        long bytes = (long) LogEntry.SIZE * remembered;
        at = MemorySegment.mismatch(logRegion, LogHeader.SIZE, LogHeader.SIZE + bytes, MemorySegment.ofArray(entries), 0,
                bytes);
        if (at >= 0) {
            return "applied log entry " + (at / LogEntry.SIZE) + " changed under the mount";
        }
        return null;
    }

    /** Entries remembered (the applied index of the last {@link #remember}). */
    public synchronized long remembered() {
        return remembered;
    }
}
