package io.famfs.cli;

import io.famfs.log.AllocationBitmap;
import io.famfs.log.Famfs;
import io.famfs.log.FsckReport;
import io.famfs.log.NodeIdentity;
import io.famfs.log.Replayer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * {@code famfs bench}: in-process measurements an operator can run on a real device, and
 * the baselines the documented figures are compared with. Each figure is the median of
 * several runs after a warm-up.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure replay, fsck and memory-copy speed (figures for docs/benchmarks.md).",
        subcommands = {BenchCommand.Replay.class, BenchCommand.Memcpy.class})
class BenchCommand {

    static double medianMillis(int iterations, LongSupplier run) {
        run.getAsLong(); // warm-up
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long t = System.nanoTime();
            run.getAsLong();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return ms[iterations / 2];
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Time a full log replay, a bitmap rebuild and an fsck scan, in-process.")
    static class Replay extends Subcommand {
        @Mixin
        DeviceOption target;

        @Option(names = {"-n", "--iterations"}, description = "Measured runs (default 9)")
        int iterations = 9;

        @Override
        public Integer call() {
            try (Famfs fs = target.open(false)) {
                fs.requireValidLog();
                long entries = fs.log().nextIndex();
                double replay = medianMillis(iterations, () -> new Replayer(fs).replay().toIndex());
                double bitmap = medianMillis(iterations, () -> AllocationBitmap.build(fs).collisions());
                double fsck = medianMillis(iterations, () -> FsckReport.scan(fs, NodeIdentity.systemUuid(), 0).files());
                out().printf("entries: %d%n", entries);
                out().printf("replay:  %8.2f ms  %,12.0f entries/s%n", replay, entries / replay * 1000);
                out().printf("bitmap:  %8.2f ms  %,12.0f entries/s%n", bitmap, entries / bitmap * 1000);
                out().printf("fsck:    %8.2f ms  %,12.0f entries/s%n", fsck, entries / fsck * 1000);
            }
            return 0;
        }
    }

    @Command(name = "memcpy", mixinStandardHelpOptions = true,
            description = "Baseline: plain memory copy between two anonymous buffers, first touch and warm.")
    static class Memcpy extends Subcommand {
        @Option(names = {"-s", "--size"}, converter = Modes.Size.class, description = "Bytes to copy (default 1g)")
        long size = 1L << 30;

        @Option(names = "--dir", paramLabel = "DIR",
                description = "Also copy between two file mappings in DIR (default /dev/shm): the page size a file-backed device has")
        java.nio.file.Path dir = java.nio.file.Path.of("/dev/shm");

        @Override
        public Integer call() throws java.io.IOException {
            anonymous();
            java.nio.file.Path a = java.nio.file.Files.createTempFile(dir, "famfs-bench-", ".a");
            java.nio.file.Path b = java.nio.file.Files.createTempFile(dir, "famfs-bench-", ".b");
            try {
                try (var f = new java.io.RandomAccessFile(a.toFile(), "rw"); var g = new java.io.RandomAccessFile(b.toFile(), "rw")) {
                    f.setLength(size);
                    g.setLength(size);
                }
                try (var src = io.famfs.device.MemoryDevice.open(a, true); var dst = io.famfs.device.MemoryDevice.open(b, true)) {
                    src.memory().fill((byte) 1);
                    long t = System.nanoTime();
                    MemorySegment.copy(src.memory(), 0, dst.memory(), 0, size);
                    double cold = (System.nanoTime() - t) / 1e9;
                    double warm = medianMillis(5, () -> {
                        MemorySegment.copy(src.memory(), 0, dst.memory(), 0, size);
                        return 0;
                    }) / 1e3;
                    out().printf("memcpy %d bytes between file mappings in %s: first touch %.2f GB/s, warm %.2f GB/s%n",
                            size, dir, size / cold / 1e9, size / warm / 1e9);
                }
            } finally {
                java.nio.file.Files.deleteIfExists(a);
                java.nio.file.Files.deleteIfExists(b);
            }
            return 0;
        }

        private void anonymous() {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment src = arena.allocate(size, 4096);
                src.fill((byte) 1);
                long t = System.nanoTime();
                MemorySegment dst = arena.allocate(size, 4096); // zeroed by the JDK: pages touched here
                MemorySegment.copy(src, 0, dst, 0, size);
                double cold = (System.nanoTime() - t) / 1e9;
                double warm = medianMillis(5, () -> {
                    MemorySegment.copy(src, 0, dst, 0, size);
                    return 0;
                }) / 1e3;
                out().printf("memcpy %d bytes between anonymous buffers: first touch %.2f GB/s, warm %.2f GB/s%n", size,
                        size / cold / 1e9, size / warm / 1e9);
            }
        }
    }
}
