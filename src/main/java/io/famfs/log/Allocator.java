package io.famfs.log;

import io.famfs.FamfsException;
import io.famfs.format.Extent;
import io.famfs.format.Fmap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Upstream's two allocators over a bitmap rebuilt from the log. Contiguous first fit
 * continues from the previous allocation of the same locked session (then, unlike
 * upstream, wraps to the start once before giving up). The interleaved allocator places
 * {@code nstrips} equal strips in distinct buckets visited in random order.
 */
public final class Allocator {
    private final AllocationBitmap bitmap;
    private final long allocUnit;
    private long cursor;

    public Allocator(AllocationBitmap bitmap) {
        this.bitmap = bitmap;
        this.allocUnit = bitmap.allocUnit();
    }

    /** Allocates space for {@code size} bytes. Throws a one-line error when it does not fit. */
    public Fmap allocate(long size, AllocConfig config) {
        if (size <= 0) {
            throw new FamfsException("file size must be positive");
        }
        if (config.interleaved() && size >= config.chunkSize()) {
            return interleaved(size, config);
        }
        long units = AllocationBitmap.ceilDiv(size, allocUnit);
        long first = firstFit(cursor, bitmap.nbits(), units);
        if (first < 0 && cursor > 0) {
            first = firstFit(0, bitmap.nbits(), units);
        }
        if (first < 0) {
            throw new FamfsException(String.format("device full: no free run of %d bytes for a %d-byte file",
                    units * allocUnit, size), FamfsException.Reason.NO_SPACE);
        }
        bitmap.set(first, units);
        cursor = first + units;
        return new Fmap.Simple(List.of(new Extent(0, first * allocUnit, units * allocUnit)));
    }

    /** First clear run of {@code units} bits inside [from, to), or -1. */
    private long firstFit(long from, long to, long units) {
        long pos = from;
        while (pos < to) {
            long start = bitmap.nextClear(pos);
            if (start >= to) {
                return -1;
            }
            long end = Math.min(to, bitmap.nextSet(start));
            if (end - start >= units) {
                return start;
            }
            pos = end;
        }
        return -1;
    }

    private Fmap interleaved(long size, AllocConfig config) {
        long chunkUnits = config.chunkSize() / allocUnit;
        long bucketUnits = bitmap.nbits() / config.nbuckets();
        long stripeUnits = config.nstrips() * chunkUnits;
        long nstripes = AllocationBitmap.ceilDiv(AllocationBitmap.ceilDiv(size, allocUnit), stripeUnits);
        long stripUnits = nstripes * chunkUnits;

        int[] order = permutation(config.nbuckets());
        List<Extent> strips = new ArrayList<>(config.nstrips());
        for (int b : order) {
            if (strips.size() == config.nstrips()) {
                break;
            }
            long start = firstFit(b * bucketUnits, (b + 1) * bucketUnits, stripUnits);
            if (start >= 0) {
                bitmap.set(start, stripUnits);
                strips.add(new Extent(0, start * allocUnit, stripUnits * allocUnit));
            }
        }
        if (strips.size() < config.nstrips()) {
            for (Extent e : strips) {
                bitmap.clear(e.offset() / allocUnit, stripUnits);
            }
            throw new FamfsException(String.format(
                    "device full: cannot place %d strips of %d bytes in %d buckets for a %d-byte file",
                    config.nstrips(), stripUnits * allocUnit, config.nbuckets(), size), FamfsException.Reason.NO_SPACE);
        }
        return new Fmap.Interleaved(config.nstrips(), config.chunkSize(), strips);
    }

    private static int[] permutation(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
