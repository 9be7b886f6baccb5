package io.famfs.namespace;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fault-path mapper against a byte-by-byte statement of the layout. */
class FileMapperTest {
    private static final long MB = 1 << 20;

    /** Device offset of file byte {@code pos}, straight from the definition. */
    private static long naive(Fmap fmap, long pos) {
        if (fmap instanceof Fmap.Interleaved il) {
            long c = pos / il.chunkSize();
            Extent strip = il.strips().get((int) (c % il.nstrips()));
            return strip.offset() + (c / il.nstrips()) * il.chunkSize() + pos % il.chunkSize();
        }
        for (Extent e : fmap.deviceExtents()) {
            if (pos < e.length()) {
                return e.offset() + pos;
            }
            pos -= e.length();
        }
        throw new AssertionError("beyond map");
    }

    private static void check(Fmap fmap, long size, long seed) {
        FileMapper m = new FileMapper(fmap, size);
        Random rnd = new Random(seed);
        for (int t = 0; t < 300; t++) {
            long off = (long) (rnd.nextDouble() * size);
            long len = 1 + (long) (rnd.nextDouble() * Math.min(size, 9 * MB));
            List<long[]> pieces = new ArrayList<>();
            long got = m.map(off, len, (dev, l, delta) -> pieces.add(new long[] {dev, l, delta}));
            long expectLen = Math.max(0, Math.min(size, off + len) - off);
            assertEquals(expectLen, got);
            long covered = 0;
            for (long[] p : pieces) {
                assertEquals(covered, p[2], "pieces are contiguous in file order");
                assertEquals(naive(fmap, off + p[2]), p[0]);
                assertEquals(naive(fmap, off + p[2] + p[1] - 1), p[0] + p[1] - 1, "piece stays contiguous on device");
                covered += p[1];
            }
            assertEquals(expectLen, covered);
        }
    }

    @Test
    void interleavedFollowsTheKernelLayout() {
        Fmap il = new Fmap.Interleaved(4, 2 * MB, List.of(new Extent(0, 0x280000000L, 4 * MB),
                new Extent(0, 0x180000000L, 4 * MB), new Extent(0, 0xe00000, 4 * MB), new Extent(0, 0x100000000L, 4 * MB)));
        check(il, 10 * MB, 1);
        check(il, 16 * MB, 2);
        assertEquals(16 * MB, FileMapper.capacity(il));
    }

    @Test
    void simpleExtentsAreConcatenated() {
        Fmap s = new Fmap.Simple(List.of(new Extent(0, 0xa00000, 2 * MB), new Extent(0, 0x4000000, 6 * MB),
                new Extent(0, 0x1200000, 2 * MB)));
        check(s, 10 * MB, 3);
        check(s, 10 * MB - 5, 4);
    }

    @Test
    void readsPastEofAreShort() {
        FileMapper m = new FileMapper(new Fmap.Simple(List.of(new Extent(0, 0xa00000, 2 * MB))), 100);
        assertEquals(10, m.map(90, 4096, (a, b, c) -> { }));
        assertEquals(0, m.map(100, 4096, (a, b, c) -> { }));
        assertEquals(0, m.map(5000, 1, (a, b, c) -> { }));
    }
}
