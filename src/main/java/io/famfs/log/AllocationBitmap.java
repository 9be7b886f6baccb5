package io.famfs.log;

import io.famfs.format.Extent;
import io.famfs.format.LogEntry;
import io.famfs.format.LogRecord;
import io.famfs.format.Superblock;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which allocation units are in use, rebuilt from the log (famfs keeps no persistent
 * bitmap; upstream's famfs_build_bitmap). Bits for the superblock and log are set first;
 * then every valid FILE entry sets the bits of its extents (strips, when interleaved).
 * A bit that is already set is an allocation collision: two files share memory.
 * Invalid entries are counted and skipped, as upstream.
 */
public final class AllocationBitmap {
    private final BitSet bits = new BitSet();
    private final long nbits;
    private final long allocUnit;
    private final long reservedBits;
    private long collisions;
    private long badEntries;
    private long outOfRange;
    private long fileCount;
    private long dirCount;
    private long sumFileSizes;
    private final List<String> problems = new ArrayList<>();

    private AllocationBitmap(long deviceSize, long allocUnit, long logLen) {
        this.allocUnit = allocUnit;
        this.nbits = ceilDiv(deviceSize, allocUnit);
        this.reservedBits = ceilDiv(Superblock.REGION_SIZE + logLen, allocUnit);
        bits.set(0, (int) Math.min(reservedBits, nbits));
    }

    /** Scans entries [0, next_index) of {@code fs}. */
    public static AllocationBitmap build(Famfs fs) {
        return build(fs, fs.log().nextIndex());
    }

    /** Scans entries [0, entries) of {@code fs}. */
    public static AllocationBitmap build(Famfs fs, long entries) {
        AllocationBitmap bitmap = empty(fs.superblock());
        LogScan.scan(fs, 0, entries, bitmap.consumer());
        return bitmap;
    }

    /** A bitmap with only the superblock and log reserved: feed it entries with {@link #consumer}. */
    public static AllocationBitmap empty(Superblock sb) {
        return new AllocationBitmap(sb.deviceSize(), sb.allocUnit(), sb.logLen());
    }

    /**
     * Adds the entries of a {@link LogScan} (in index order, each once); invalid ones are
     * counted and skipped, as upstream (fsck).
     */
    public LogScan.Consumer consumer() {
        return consumer(true);
    }

    /**
     * Adds entries as they are replayed, for a bitmap kept beside a {@link Replayer}
     * across passes: stops where replay stops (at an invalid entry, which the next pass
     * reads again), so no entry is added twice.
     */
    public LogScan.Consumer alongsideReplay() {
        return consumer(false);
    }

    private LogScan.Consumer consumer(boolean pastInvalid) {
        return new LogScan.Consumer() {
            @Override
            public void entry(long index, LogRecord record) {
                add(index, record);
            }

            @Override
            public void malformed(long index, String problem) {
                badEntries++;
                problems.add(problem);
            }

            @Override
            public boolean invalid(long index, String problem) {
                if (!pastInvalid) {
                    return false;
                }
                badEntries++;
                problems.add(problem);
                return true;
            }
        };
    }

    private void add(long index, LogRecord record) {
        switch (record) {
            case LogRecord.File f -> {
                fileCount++;
                sumFileSizes += f.size();
                for (Extent e : f.fmap().deviceExtents()) {
                    mark(index, f.path(), e);
                }
            }
            case LogRecord.Mkdir m -> dirCount++;
            default -> {
            }
        }
    }

    private void mark(long index, String path, Extent e) {
        long first = e.offset() / allocUnit;
        long count = ceilDiv(e.length(), allocUnit);
        // u64 fields: a "negative" offset or a length whose unit count overflows is beyond the device
        if (e.offset() < 0 || e.length() <= 0 || count <= 0 || e.offset() % allocUnit != 0 || first + count > nbits) {
            outOfRange++;
            problems.add(String.format("log entry %d (%s): extent 0x%x+0x%x is misaligned or beyond the device",
                    index, io.famfs.namespace.PathRules.printable(path), e.offset(), e.length()));
            return;
        }
        for (long b = first; b < first + count; b++) {
            if (bits.get((int) b)) {
                collisions++;
            } else {
                bits.set((int) b);
            }
        }
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    public long nbits() {
        return nbits;
    }

    public long allocUnit() {
        return allocUnit;
    }

    public long reservedBits() {
        return reservedBits;
    }

    public boolean isSet(long bit) {
        return bits.get((int) bit);
    }

    /** Index of the first clear bit at or after {@code from}, or nbits. */
    public long nextClear(long from) {
        return Math.min(nbits, bits.nextClearBit((int) from));
    }

    /** Index of the first set bit at or after {@code from}, or nbits. */
    public long nextSet(long from) {
        int s = bits.nextSetBit((int) from);
        return s < 0 ? nbits : Math.min(nbits, s);
    }

    public void set(long from, long count) {
        bits.set((int) from, (int) (from + count));
    }

    public void clear(long from, long count) {
        bits.clear((int) from, (int) (from + count));
    }

    /** Allocation units shared by more than one file (cross-links). */
    public long collisions() {
        return collisions;
    }

    public long badEntries() {
        return badEntries;
    }

    public long outOfRange() {
        return outOfRange;
    }

    public long fileCount() {
        return fileCount;
    }

    public long dirCount() {
        return dirCount;
    }

    public long sumFileSizes() {
        return sumFileSizes;
    }

    public long allocatedBytes() {
        return (long) bits.cardinality() * allocUnit;
    }

    /** Allocated units within [from, to). */
    public long allocatedBits(long from, long to) {
        return bits.get((int) from, (int) to).cardinality();
    }

    public List<String> problems() {
        return problems;
    }
}
