package io.famfs.log;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.testing.Devices;
import io.famfs.testing.Run;
import io.famfs.FamfsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocatorTest {
    private static final long MB = 1 << 20;
    private Path dev;

    @BeforeEach
    void mkfs() {
        Devices.actAs(Devices.MASTER);
        dev = Devices.create("alloc", 8 * Devices.GIB);
        Run.famfs("mkfs", dev.toString()).ok();
    }

    @AfterEach
    void cleanup() {
        Devices.delete(dev);
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    @Test
    void contiguousFirstFitAfterSuperblockAndLog() {
        try (Famfs fs = Famfs.open(dev, false)) {
            AllocationBitmap bitmap = AllocationBitmap.build(fs);
            assertEquals(5, bitmap.reservedBits()); // 2 MiB superblock + 8 MiB log
            Allocator a = new Allocator(bitmap);
            assertEquals(new Extent(0, 0xa00000, 4 * MB), only(a.allocate(3 * MB, AllocConfig.CONTIGUOUS)));
            assertEquals(new Extent(0, 0xe00000, 2 * MB), only(a.allocate(1, AllocConfig.CONTIGUOUS)));
            assertEquals(new Extent(0, 0x1000000, 4 * MB), only(a.allocate(2 * MB + 1, AllocConfig.CONTIGUOUS)));
            // freed space before the cursor is found again once the end is reached
            bitmap.clear(5, 2);
            long remaining = (bitmap.nbits() - bitmap.nextClear(0)) * bitmap.allocUnit();
            assertTrue(remaining > 0);
            assertThrows(FamfsException.class, () -> a.allocate(8 * Devices.GIB, AllocConfig.CONTIGUOUS));
        }
    }

    @Test
    void interleavedStripsLandInDistinctBucketsAndFailureFreesThem() {
        try (Famfs fs = Famfs.open(dev, false)) {
            AllocationBitmap bitmap = AllocationBitmap.build(fs);
            Allocator a = new Allocator(bitmap);
            AllocConfig cfg = new AllocConfig(8, 4, 2 * MB).validate(fs.capacity(), fs.superblock().allocUnit());
            Fmap.Interleaved il = assertInstanceOf(Fmap.Interleaved.class, a.allocate(10 * MB, cfg));
            assertEquals(4, il.strips().size());
            assertEquals(4, il.strips().stream().map(s -> s.offset() / Devices.GIB).distinct().count());
            il.strips().forEach(s -> assertEquals(4 * MB, s.length()));
            // smaller than a chunk: contiguous instead, as upstream
            assertInstanceOf(Fmap.Simple.class, a.allocate(MB, cfg));
            // fill buckets 0..4 so only three buckets have room: three strips get placed,
            // the fourth cannot, and the three must be given back
            long bucketBits = bitmap.nbits() / 8;
            bitmap.set(0, 5 * bucketBits);
            long allocated = bitmap.allocatedBytes();
            assertThrows(FamfsException.class, () -> a.allocate(32 * MB, cfg));
            assertEquals(allocated, bitmap.allocatedBytes());
        }
    }

    @Test
    void concurrentWritersOnOneHostNeverCollide() throws Exception {
        int threads = 4;
        int perThread = 40;
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        // each writer opens its own mapping, as separate processes would
                        try (Famfs fs = Famfs.open(dev, true);
                             MasterSession s = MasterSession.begin(fs, UUID.fromString(Devices.MASTER))) {
                            s.createFile("t" + id + "-" + i, 3 * MB, 0644, 0, 0, AllocConfig.CONTIGUOUS);
                        }
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        try (Famfs fs = Famfs.open(dev, false)) {
            FsckReport r = FsckReport.scan(fs, UUID.fromString(Devices.MASTER), 0);
            assertEquals(0, r.collisions());
            assertEquals(threads * perThread, r.files());
            assertEquals(0, r.errorCount());
        }
    }

    private static Extent only(Fmap f) {
        Fmap.Simple s = assertInstanceOf(Fmap.Simple.class, f);
        assertEquals(1, s.extents().size());
        return s.extents().getFirst();
    }
}
