package io.famfs.namespace;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The fault-path mapper: turns a range of a file into the device ranges that hold it.
 * Built once per file from its fmap; resolving a range allocates nothing.
 *
 * <p>Simple maps concatenate their extents. Interleaved maps follow the kernel's
 * layout: file chunk {@code c = off / chunk} lives in strip {@code c % nstrips}, stripe
 * {@code s = c / nstrips}, at device offset {@code strip.offset + s * chunk + off % chunk}.
 */
public final class FileMapper {
    /** Receives one contiguous piece of a mapped range. */
    @FunctionalInterface
    public interface RangeVisitor {
        /** {@code fileDelta} is the piece's offset from the start of the requested range. */
        void visit(long deviceOffset, long length, long fileDelta);
    }

    private final long fileSize;
    // simple map: extent i covers file bytes [fileStart[i], fileStart[i] + length[i])
    private final long[] deviceOffset;
    private final long[] length;
    private final long[] fileStart;
    // interleaved map (nstrips > 0)
    private final long nstrips;
    private final long chunk;

    public FileMapper(Fmap fmap, long fileSize) {
        this.fileSize = fileSize;
        List<Extent> extents = fmap.deviceExtents();
        int n = extents.size();
        deviceOffset = new long[n];
        length = new long[n];
        fileStart = new long[n];
        long pos = 0;
        for (int i = 0; i < n; i++) {
            deviceOffset[i] = extents.get(i).offset();
            length[i] = extents.get(i).length();
            fileStart[i] = pos;
            pos += length[i];
        }
        if (fmap instanceof Fmap.Interleaved il) {
            nstrips = il.nstrips();
            chunk = il.chunkSize();
        } else {
            nstrips = 0;
            chunk = 0;
        }
    }

    /** How many file bytes an fmap can hold. */
    public static long capacity(Fmap fmap) {
        return switch (fmap) {
            case Fmap.Simple s -> s.extents().stream().mapToLong(Extent::length).sum();
            case Fmap.Interleaved il -> {
                long minStrip = il.strips().stream().mapToLong(Extent::length).min().orElse(0);
                yield il.nstrips() * (minStrip / il.chunkSize()) * il.chunkSize();
            }
        };
    }

    public long fileSize() {
        return fileSize;
    }

    /**
     * Visits the device pieces of file range [offset, offset + len), clipped at the file
     * size. Returns the number of file bytes visited (less than {@code len} at EOF).
     */
    public long map(long offset, long len, RangeVisitor visitor) {
        if (offset < 0 || len < 0) {
            throw new IllegalArgumentException("negative offset or length");
        }
        long end = Math.min(fileSize, offset + len);
        long pos = offset;
        while (pos < end) {
            long devOff;
            long run;
            if (nstrips > 0) {
                long c = pos / chunk;
                long within = pos % chunk;
                int strip = (int) (c % nstrips);
                devOff = deviceOffset[strip] + (c / nstrips) * chunk + within;
                run = chunk - within;
            } else {
                int i = extentAt(pos);
                long within = pos - fileStart[i];
                devOff = deviceOffset[i] + within;
                run = length[i] - within;
            }
            run = Math.min(run, end - pos);
            visitor.visit(devOff, run, pos - offset);
            pos += run;
        }
        return Math.max(0, end - offset);
    }

    /**
     * (The piece arithmetic repeats {@link #map}'s on purpose: this is the per-request
     * path, and a visitor lambda capturing the buffer would allocate on every call.)
     *
     * Copies file bytes [offset, offset + buffer.byteSize()) between the device and
     * {@code buffer} ({@code toDevice} picks the direction), clipped at the file size.
     * The request path of the FUSE server: one copy, no allocation. Returns bytes moved.
     */
    public long transfer(MemorySegment device, long offset, MemorySegment buffer, boolean toDevice) {
        long end = Math.min(fileSize, offset + buffer.byteSize());
        long pos = offset;
        while (pos < end) {
            long devOff;
            long run;
            if (nstrips > 0) {
                long c = pos / chunk;
                long within = pos % chunk;
                devOff = deviceOffset[(int) (c % nstrips)] + (c / nstrips) * chunk + within;
                run = chunk - within;
            } else {
                int i = extentAt(pos);
                long within = pos - fileStart[i];
                devOff = deviceOffset[i] + within;
                run = length[i] - within;
            }
            run = Math.min(run, end - pos);
            if (toDevice) {
                MemorySegment.copy(buffer, pos - offset, device, devOff, run);
            } else {
                MemorySegment.copy(device, devOff, buffer, pos - offset, run);
            }
            pos += run;
        }
        return Math.max(0, end - offset);
    }

    private int extentAt(long pos) {
        // few extents (at most 16): a linear scan beats a binary search here
        for (int i = fileStart.length - 1; i > 0; i--) {
            if (pos >= fileStart[i]) {
                return i;
            }
        }
        return 0;
    }
}
