package io.famfs.torture;

import io.famfs.FamfsException;
import io.famfs.cli.Cli;
import io.famfs.device.DeviceException;
import io.famfs.format.Crc32s;
import io.famfs.format.Extent;
import io.famfs.format.FormatException;
import io.famfs.format.Le;
import io.famfs.format.LogEntry;
import io.famfs.format.LogHeader;
import io.famfs.format.Superblock;
import io.famfs.log.AllocationBitmap;
import io.famfs.log.Famfs;
import io.famfs.log.FsckReport;
import io.famfs.log.LogReader;
import io.famfs.log.ReplayReport;
import io.famfs.log.Replayer;
import io.famfs.namespace.FileMapper;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;
import io.famfs.testing.Devices;
import io.famfs.testing.Golden;
import io.famfs.testing.Run;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Torture, part 1: corrupted metadata. Each try takes a valid image (one made here by
 * mkfs/mkdir/creat, or one of the upstream golden images), changes bytes or fields of
 * its superblock, log header or log entries (with the CRCs left alone, or recomputed so
 * that the checks behind the CRC are reached), runs every path that reads metadata
 * (Famfs.open + requireValidLog, Replayer, AllocationBitmap, FsckReport, and the fsck and
 * logplay commands), checks the invariants below, then restores the image.
 *
 * <ul>
 *   <li>Only the project's one-line error types escape (FamfsException, FormatException,
 *       DeviceException), with a non-blank single-line message; the CLI never reports an
 *       internal error and every stderr line is a {@code famfs ...:} line.</li>
 *   <li>Read-only paths write nothing: the metadata region is byte-identical afterwards.</li>
 *   <li>Changes to CRC-covered bytes with the CRC left alone are always detected (the
 *       superblock is refused, the log header is invalid, replay stops at or before the
 *       damaged entry).</li>
 *   <li>Replay yields only files with valid relative paths whose every byte maps inside
 *       the device (through the file's own mapper), at aligned, non-zero offsets.</li>
 *   <li>Files that replay yields overlapping each other or the superblock/log are seen by
 *       the allocation bitmap as collisions, and fsck then fails.</li>
 *   <li>fsck fails exactly when its report has errors (bad header, bad or refused entries,
 *       collisions); logplay --dryrun agrees with the Replayer on files and errors.</li>
 * </ul>
 *
 * Tries per property: {@code -Djqwik.tries.default} (the pom sets it from
 * {@code famfs.fuzz.tries}; bench/fuzz.sh runs the long version).
 */
class CorruptMetadataProperties {
    /** Where a valid image comes from. */
    enum Source { FRESH, BASIC, MANY }

    /** Which structure a mutation hits. */
    enum Region { SUPERBLOCK, LOG_HEADER, ENTRY }

    /** SET writes {@code value}; XOR flips its bits; COPY copies bytes from another entry. */
    enum Kind { SET, XOR, COPY }

    /**
     * One change. {@code offset} is within the structure; {@code width} is 1, 2, 4 or 8
     * bytes (the length of the copied range for COPY); {@code entry} and, for COPY,
     * {@code value} select entries (taken modulo the entries in use).
     */
    record Mutation(Region region, Kind kind, int entry, int offset, int width, long value) {
        @Override
        public String toString() {
            String where = region == Region.ENTRY ? "entry[" + entry + "]" : region.toString().toLowerCase();
            return switch (kind) {
                case COPY -> String.format("%s+%d: copy %d bytes from entry[%d]", where, offset, width, value);
                default -> String.format("%s+%d: %s u%d 0x%x", where, offset, kind, width * 8, value);
            };
        }
    }

    /** A valid image, mapped read-write by the test, with a pristine copy of its metadata. */
    static final class Image {
        final Source source;
        final Path path;
        final long metaLen;
        final long entries;
        final MemorySegment map;
        final MemorySegment pristine;

        Image(Source source, Path path) {
            this.source = source;
            this.path = path;
            Arena arena = Arena.global();
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Superblock.SIZE, arena);
                long logLen = Le.u64(head, 24);
                this.metaLen = Superblock.LOG_OFFSET + logLen;
                this.map = ch.map(FileChannel.MapMode.READ_WRITE, 0, metaLen, arena);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.entries = Le.u64(map, Superblock.LOG_OFFSET + 40);
            this.pristine = arena.allocate(metaLen);
            MemorySegment.copy(map, 0, pristine, 0, metaLen);
        }

        MemorySegment log() {
            return map.asSlice(Superblock.LOG_OFFSET, metaLen - Superblock.LOG_OFFSET);
        }

        MemorySegment slot(long index) {
            return map.asSlice(Superblock.LOG_OFFSET + LogHeader.SIZE + LogEntry.SIZE * index, LogEntry.SIZE);
        }

        void restore() {
            MemorySegment.copy(pristine, 0, map, 0, metaLen);
        }
    }

    private static final Map<Source, Image> IMAGES = new EnumMap<>(Source.class);
    private static final AtomicLong CASES = new AtomicLong();
    static final AtomicLong T_APPLY = new AtomicLong();
    static final AtomicLong T_CLI = new AtomicLong();
    static final AtomicLong[] T_CHECK = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    private static final AtomicLong VIOLATIONS = new AtomicLong();
    private static final AtomicLong REFUSED_AT_OPEN = new AtomicLong();
    private static final AtomicLong BAD_HEADER = new AtomicLong();
    private static final AtomicLong REPLAY_STOPPED = new AtomicLong();
    private static final AtomicLong REJECTED = new AtomicLong();
    private static final AtomicLong CLEAN = new AtomicLong();
    /** When the first case ran (image set-up excluded). */
    private static volatile long started;
    private static final Pattern JSON_FILES = Pattern.compile("\"files\" : (\\d+)");
    private static final Pattern JSON_ERRORS = Pattern.compile("\"errors\" : (\\d+)");

    static synchronized Image image(Source source) {
        return IMAGES.computeIfAbsent(source, s -> new Image(s, switch (s) {
            case FRESH -> freshImage();
            case BASIC -> Golden.copy("basic");
            case MANY -> Golden.copy("many");
        }));
    }

    /** mkfs on a small sparse device, then directories, plain, randomized and interleaved files. */
    static Path freshImage() {
        Devices.actAs(Devices.MASTER);
        Path dev = Devices.create("fuzz", 4 * Devices.GIB);
        Run.famfs("mkfs", dev.toString()).ok();
        Run.onDevice(dev, "mkdir", "-p", "a/b").ok();
        Run.onDevice(dev, "creat", "-s", "3m", "a/f1").ok();
        Run.onDevice(dev, "creat", "-s", "1m", "-r", "-S", "5", "a/b/f2").ok();
        Run.onDevice(dev, "creat", "-s", "8m", "-N", "2", "-B", "4", "striped").ok();
        Run.onDevice(dev, "creat", "-s", "4k", "-m", "0600", "z").ok();
        Run.onDevice(dev, "mkdir", "c").ok();
        Run.onDevice(dev, "creat", "-s", "2m", "c/exact").ok();
        return dev;
    }

    @AfterContainer
    static void summary() {
        double secs = started == 0 ? 0 : (System.nanoTime() - started) / 1e9;
        String line = String.format("fuzz summary: cases=%d violations=%d seconds=%.1f cases/s=%.0f"
                        + " | refused at open=%d, bad log header=%d, replay stopped=%d, entries refused=%d, clean=%d",
                CASES.get(), VIOLATIONS.get(), secs, CASES.get() / secs, REFUSED_AT_OPEN.get(), BAD_HEADER.get(),
                REPLAY_STOPPED.get(), REJECTED.get(), CLEAN.get());
        System.out.println(line);
        System.out.printf("timing ms: apply %d, cli %d, check fresh %d basic %d many %d%n", T_APPLY.get() / 1000000,
                T_CLI.get() / 1000000, T_CHECK[0].get() / 1000000, T_CHECK[1].get() / 1000000, T_CHECK[2].get() / 1000000);
        for (Image img : IMAGES.values()) {
            Devices.delete(img.path);
        }
        IMAGES.clear();
    }

    // ---------------------------------------------------------------- properties

    @Property
    void anyStructureAnyBytes(@ForAll Source source, @ForAll("anyMutations") List<Mutation> mutations,
                              @ForAll boolean recomputeCrc) {
        examine(source, mutations, recomputeCrc);
    }

    @Property
    void superblockFields(@ForAll Source source, @ForAll("superblockMutations") List<Mutation> mutations,
                          @ForAll boolean recomputeCrc) {
        examine(source, mutations, recomputeCrc);
    }

    @Property
    void logHeaderFields(@ForAll Source source, @ForAll("logHeaderMutations") List<Mutation> mutations,
                         @ForAll boolean recomputeCrc) {
        examine(source, mutations, recomputeCrc);
    }

    /** Entry fields with valid CRCs: what replay, the bitmap and fsck see past the CRC check. */
    @Property
    void entryFieldsPastTheCrc(@ForAll Source source, @ForAll("entryMutations") List<Mutation> mutations) {
        examine(source, mutations, true);
    }

    /** Entry bytes with the CRC left alone: every change must be caught. */
    @Property
    void entryBytesWithStaleCrc(@ForAll Source source, @ForAll("entryMutations") List<Mutation> mutations) {
        examine(source, mutations, false);
    }

    // ---------------------------------------------------------------- generators

    static final long MIB2 = 0x200000L;
    static final long[] INTERESTING = {
            0, 1, 2, 7, 0x2e, 0x2f, 0x2e2e, 0x2f2e2e2fL, 0x80, 0xff, 47, 48, 49, 4096, 0x1fffff, MIB2, MIB2 + 1,
            2 * MIB2, 5 * MIB2, 0x800000, 0x800001, 0x1000000, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L,
            15418, 15419, 15420, 15421, 16, 17, Superblock.MAGIC, LogHeader.MAGIC,
            4L << 30, (4L << 30) - MIB2, (4L << 30) + MIB2, 8L << 30, (8L << 30) - MIB2, 16L << 30, (16L << 30) - MIB2,
            -1, -MIB2, -2 * MIB2, -4096, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + MIB2,
            Long.MAX_VALUE - MIB2 + 1, 1L << 62, (1L << 63) >>> 1,
    };

    static Arbitrary<Long> values() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.of(box(INTERESTING))),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs()),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(-64, 8192).map(k -> k * MIB2)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 255)));
    }

    private static Long[] box(long[] v) {
        Long[] out = new Long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    static Arbitrary<Integer> widths() {
        return Arbitraries.of(1, 2, 4, 8);
    }

    /** Raw changes anywhere inside one structure. */
    static Arbitrary<Mutation> raw(Region region, int size) {
        return Combinators.combine(Arbitraries.of(Kind.SET, Kind.XOR), Arbitraries.integers().between(0, 1 << 20),
                        Arbitraries.integers().between(0, size - 1), widths(), values())
                .as((kind, entry, off, w, v) -> new Mutation(region, kind, entry, Math.min(off, size - w), w,
                        kind == Kind.XOR && v == 0 ? 1 : v));
    }

    /** Whole-field changes at the structure's field offsets. */
    static Arbitrary<Mutation> fields(Region region, int[][] layout) {
        return Combinators.combine(Arbitraries.of(Kind.SET, Kind.SET, Kind.XOR), Arbitraries.integers().between(0, 1 << 20),
                        Arbitraries.of(layout), values())
                .as((kind, entry, f, v) -> new Mutation(region, kind, entry, f[0], f[1], kind == Kind.XOR && v == 0 ? 1 : v));
    }

    static final int[][] SUPERBLOCK_FIELDS = {
            {0, 8}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4}, {48, 8}, {64, 8}, {80, 8}, {96, 8},
            {104, 4}, {112, 8}, {120, 8}, {136, 1}, {137, 1}, {199, 1}};
    static final int[][] LOG_HEADER_FIELDS = {{0, 8}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 8}, {40, 1}, {32, 1}};
    static final int[][] ENTRY_FIELDS = entryFields();

    private static int[][] entryFields() {
        List<int[]> f = new ArrayList<>(List.of(new int[] {0, 8}, new int[] {8, 4}, new int[] {12, 4},
                new int[] {16, 8}, new int[] {16, 4}, new int[] {20, 4}, new int[] {24, 4}, new int[] {28, 4},
                new int[] {32, 4}, new int[] {36, 4}, new int[] {120, 4}, new int[] {124, 4}, new int[] {128, 4},
                new int[] {536, 8}));
        for (int p = 28; p < 120; p++) {
            f.add(new int[] {p, 1}); // both relpath fields, byte by byte
        }
        for (int off = 136; off < 536; off += 8) {
            f.add(new int[] {off, 8}); // extents, strips, nstrips, chunk size
        }
        return f.toArray(new int[0][]);
    }

    /** Copies of another entry's fmap, path or whole payload: realistic cross-links and duplicates. */
    static Arbitrary<Mutation> copies() {
        return Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.integers().between(0, 1 << 20),
                        Arbitraries.of(new int[] {120, 416}, new int[] {136, 24}, new int[] {152, 24}, new int[] {40, 80},
                                new int[] {16, 520}, new int[] {8, 528}))
                .as((entry, src, r) -> new Mutation(Region.ENTRY, Kind.COPY, entry, r[0], r[1], src));
    }

    @Provide
    Arbitrary<List<Mutation>> anyMutations() {
        return Arbitraries.oneOf(raw(Region.SUPERBLOCK, Superblock.SIZE), raw(Region.LOG_HEADER, LogHeader.SIZE),
                        raw(Region.ENTRY, LogEntry.SIZE), fields(Region.SUPERBLOCK, SUPERBLOCK_FIELDS),
                        fields(Region.LOG_HEADER, LOG_HEADER_FIELDS), fields(Region.ENTRY, ENTRY_FIELDS), copies())
                .list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<Mutation>> superblockMutations() {
        return Arbitraries.oneOf(raw(Region.SUPERBLOCK, Superblock.SIZE), fields(Region.SUPERBLOCK, SUPERBLOCK_FIELDS))
                .list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<Mutation>> logHeaderMutations() {
        return Arbitraries.oneOf(raw(Region.LOG_HEADER, LogHeader.SIZE), fields(Region.LOG_HEADER, LOG_HEADER_FIELDS))
                .list().ofMinSize(1).ofMaxSize(3);
    }

    /**
     * One extent rewritten whole: offset and length together (a simple extent se[k] or a
     * strip), and sometimes the extent count, so that maps that look plausible reach the
     * range, overlap and mapper checks.
     */
    static Arbitrary<List<Mutation>> extentRewrites() {
        return Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.integers().between(0, 3),
                        Arbitraries.of(136, 152), values(), values(), Arbitraries.of(0, 0, 1, 2, 17))
                .as((entry, k, base, off, len, count) -> {
                    List<Mutation> m = new ArrayList<>();
                    int at = base + 24 * k;
                    m.add(new Mutation(Region.ENTRY, Kind.SET, entry, at + 8, 8, off));
                    m.add(new Mutation(Region.ENTRY, Kind.SET, entry, at + 16, 8, len));
                    if (count != 0) {
                        m.add(new Mutation(Region.ENTRY, Kind.SET, entry, base == 136 ? 128 : 136, base == 136 ? 4 : 8,
                                count == 17 ? 17 : k + count));
                    }
                    return m;
                });
    }

    @Provide
    Arbitrary<List<Mutation>> entryMutations() {
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(4, fields(Region.ENTRY, ENTRY_FIELDS).map(List::of)),
                        net.jqwik.api.Tuple.of(2, raw(Region.ENTRY, LogEntry.SIZE).map(List::of)),
                        net.jqwik.api.Tuple.of(2, extentRewrites()),
                        net.jqwik.api.Tuple.of(1, copies().map(List::of)))
                .list().ofMinSize(1).ofMaxSize(3)
                .map(groups -> groups.stream().flatMap(List::stream).toList());
    }

    // ---------------------------------------------------------------- the checks

    /** What the mutations changed, for the detection checks. */
    record Damage(boolean superblockCovered, boolean headerCovered, long firstDamagedEntry, List<long[]> ranges) {
    }

    static void examine(Source source, List<Mutation> mutations, boolean recomputeCrc) {
        Devices.actAs(Devices.MASTER);
        Image img = image(source);
        if (started == 0) {
            started = System.nanoTime();
        }
        CASES.incrementAndGet();
        String context = source + " " + mutations + (recomputeCrc ? " (CRCs recomputed)" : " (CRCs stale)");
        boolean restored = false;
        try {
            long t0 = System.nanoTime();
            Damage damage = apply(img, mutations, recomputeCrc);
            // what the touched structures hold now; everything else must still be pristine
            List<byte[]> mutated = new ArrayList<>();
            for (long[] r : damage.ranges()) {
                mutated.add(img.map.asSlice(r[0], r[1]).toArray(ValueLayout.JAVA_BYTE));
            }
            long t1 = System.nanoTime();
            T_APPLY.addAndGet(t1 - t0);
            try {
                check(img, damage, recomputeCrc, context);
                T_CHECK[source.ordinal()].addAndGet(System.nanoTime() - t1);
            } catch (AssertionError e) {
                VIOLATIONS.incrementAndGet();
                throw e;
            }
            for (int k = 0; k < mutated.size(); k++) {
                long[] r = damage.ranges().get(k);
                long m = img.map.asSlice(r[0], r[1]).mismatch(MemorySegment.ofArray(mutated.get(k)));
                if (m >= 0) {
                    VIOLATIONS.incrementAndGet();
                    throw new AssertionError(context + ": a read-only path changed device byte 0x" + Long.toHexString(r[0] + m));
                }
                MemorySegment.copy(img.pristine, r[0], img.map, r[0], r[1]);
            }
            // the touched structures are pristine again: anything else that differs was written by a reader
            long wrote = img.map.mismatch(img.pristine);
            if (wrote >= 0) {
                VIOLATIONS.incrementAndGet();
                throw new AssertionError(context + ": a read-only path changed device byte 0x" + Long.toHexString(wrote));
            }
            restored = true;
        } finally {
            if (!restored) {
                img.restore();
            }
        }
    }

    static Damage apply(Image img, List<Mutation> mutations, boolean recomputeCrc) {
        boolean sbTouched = false;
        boolean headerTouched = false;
        List<Long> entriesTouched = new ArrayList<>();
        List<long[]> ranges = new ArrayList<>();
        long used = Math.max(1, img.entries);
        for (Mutation m : mutations) {
            MemorySegment target;
            switch (m.region()) {
                case SUPERBLOCK -> {
                    target = img.map.asSlice(0, Superblock.SIZE);
                    sbTouched = true;
                }
                case LOG_HEADER -> {
                    target = img.log().asSlice(0, LogHeader.SIZE);
                    headerTouched = true;
                }
                default -> {
                    long index = m.entry() % used;
                    target = img.slot(index);
                    entriesTouched.add(index);
                }
            }
            switch (m.kind()) {
                case SET -> put(target, m.offset(), m.width(), m.value());
                case XOR -> put(target, m.offset(), m.width(), get(target, m.offset(), m.width()) ^ m.value());
                case COPY -> MemorySegment.copy(img.slot(m.value() % used), m.offset(), target, m.offset(), m.width());
            }
        }
        if (recomputeCrc) {
            if (sbTouched) {
                Le.u64(img.map, 96, Crc32s.of(img.map, 0, 96));
            }
            if (headerTouched) {
                Le.u64(img.log(), 24, Crc32s.of(img.log(), 0, 24));
            }
            for (long i : entriesTouched) {
                Le.u64(img.slot(i), 536, Crc32s.of(img.slot(i), 0, 536));
            }
        }
        boolean sbCovered = img.map.asSlice(0, 104).mismatch(img.pristine.asSlice(0, 104)) >= 0;
        MemorySegment pristineLog = img.pristine.asSlice(Superblock.LOG_OFFSET);
        boolean headerCovered = img.log().asSlice(0, 32).mismatch(pristineLog.asSlice(0, 32)) >= 0;
        long first = Long.MAX_VALUE;
        for (long i : entriesTouched) {
            long off = LogHeader.SIZE + LogEntry.SIZE * i;
            if (img.log().asSlice(off, LogEntry.SIZE).mismatch(pristineLog.asSlice(off, LogEntry.SIZE)) >= 0) {
                first = Math.min(first, i);
            }
        }
        if (sbTouched) {
            ranges.add(new long[] {0, Superblock.SIZE});
        }
        if (headerTouched) {
            ranges.add(new long[] {Superblock.LOG_OFFSET, LogHeader.SIZE});
        }
        entriesTouched.stream().distinct().forEach(i ->
                ranges.add(new long[] {Superblock.LOG_OFFSET + LogHeader.SIZE + LogEntry.SIZE * i, LogEntry.SIZE}));
        return new Damage(sbCovered, headerCovered, first, ranges);
    }

    static long get(MemorySegment s, int off, int width) {
        return switch (width) {
            case 1 -> Byte.toUnsignedLong(s.get(ValueLayout.JAVA_BYTE, off));
            case 2 -> Short.toUnsignedLong(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), off));
            case 4 -> Le.u32(s, off);
            default -> Le.u64(s, off);
        };
    }

    static void put(MemorySegment s, int off, int width, long v) {
        switch (width) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), off, (short) v);
            case 4 -> Le.u32(s, off, v);
            default -> Le.u64(s, off, v);
        }
    }

    /** The project's error types, one non-blank line; anything else fails the property. */
    static String expectedError(Throwable t, String context) {
        if (t instanceof FamfsException || t instanceof FormatException || t instanceof DeviceException) {
            String m = t.getMessage();
            if (m == null || m.isBlank() || m.contains("\n")) {
                throw new AssertionError(context + ": error message is not one line: '" + m + "'", t);
            }
            return m;
        }
        throw new AssertionError(context + ": unexpected " + t, t);
    }

    static void check(Image img, Damage damage, boolean recomputeCrc, String context) {
        String openError = null;
        String logProblem = null;
        ReplayReport replay = null;
        Namespace ns = null;
        FsckReport report = null;
        Famfs opened = null;
        try {
            opened = Famfs.open(img.path, false);
        } catch (Throwable t) {
            openError = expectedError(t, context);
        }
        if (opened != null) try (Famfs fs = opened) {
            logProblem = fs.logProblem();
            try {
                fs.requireValidLog();
                if (logProblem != null) {
                    throw new AssertionError(context + ": requireValidLog accepted a log with problem " + logProblem);
                }
            } catch (FamfsException e) {
                if (logProblem == null) {
                    throw new AssertionError(context + ": requireValidLog failed on a log without problem", e);
                }
                expectedError(e, context);
            }
            if (!recomputeCrc && damage.headerCovered() && logProblem == null) {
                throw new AssertionError(context + ": a changed log header with a stale CRC was accepted");
            }
            Replayer replayer = new Replayer(fs);
            replay = replayer.replay();
            ns = replayer.namespace();
            if (logProblem == null) {
                checkReplay(fs, replay, ns, damage, recomputeCrc, context);
            }
            AllocationBitmap bitmap = AllocationBitmap.build(fs);
            if (logProblem == null) {
                checkOverlaps(fs, ns, bitmap, context);
            }
            report = FsckReport.scan(fs, UUID.fromString(Devices.MASTER), 0);
            if (logProblem != null && report.errorCount() == 0) {
                throw new AssertionError(context + ": fsck report has no error for a bad log header");
            }
            if (logProblem == null && !replay.clean() && report.errorCount() == 0) {
                throw new AssertionError(context + ": replay was not clean (" + replay + ") but fsck found no error");
            }
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            // once open, readers report what they find: nothing may throw
            throw new AssertionError(context + ": threw after a successful open: " + t, t);
        }
        if (openError == null && !recomputeCrc && damage.superblockCovered()) {
            throw new AssertionError(context + ": a changed superblock with a stale CRC was accepted");
        }
        if (openError != null) {
            REFUSED_AT_OPEN.incrementAndGet();
        } else if (logProblem != null) {
            BAD_HEADER.incrementAndGet();
        } else if (replay.stopReason() != null) {
            REPLAY_STOPPED.incrementAndGet();
        } else if (!replay.rejected().isEmpty()) {
            REJECTED.incrementAndGet();
        } else {
            CLEAN.incrementAndGet();
        }
        long c0 = System.nanoTime();
        checkCommands(img, openError, logProblem, replay, ns, report, context);
        T_CLI.addAndGet(System.nanoTime() - c0);
    }

    static void checkReplay(Famfs fs, ReplayReport replay, Namespace ns, Damage damage, boolean recomputeCrc,
                            String context) {
        long next = fs.log().nextIndex();
        if (replay.stopReason() != null) {
            long at = replay.toIndex();
            if (at >= next || LogReader.isValid(fs.readEntry(at), at)) {
                throw new AssertionError(context + ": replay stopped at entry " + at + " which is valid or unused: "
                        + replay.stopReason());
            }
            oneLine(replay.stopReason(), context);
        } else if (replay.toIndex() != next) {
            throw new AssertionError(context + ": replay ended at " + replay.toIndex() + " of " + next + " entries");
        }
        for (String r : replay.rejected()) {
            oneLine(r, context);
        }
        if (!recomputeCrc && damage.firstDamagedEntry() < next && replay.toIndex() > damage.firstDamagedEntry()) {
            throw new AssertionError(context + ": entry " + damage.firstDamagedEntry()
                    + " was changed with a stale CRC, yet replay went past it to " + replay.toIndex());
        }
        long deviceSize = fs.superblock().deviceSize();
        long au = fs.superblock().allocUnit();
        long[] count = {0};
        walk(ns.root(), "", (path, file) -> {
            count[0]++;
            String where = context + ": replayed file '" + path + "' (entry " + file.logIndex() + ")";
            if (PathRules.problem(path) != null || !path.equals(file.meta().path())) {
                throw new AssertionError(where + " has a bad path: " + PathRules.problem(path));
            }
            if (file.size() <= 0) {
                throw new AssertionError(where + " has size " + file.size());
            }
            for (Extent e : file.meta().fmap().deviceExtents()) {
                if (e.devIndex() != 0 || e.offset() <= 0 || e.length() <= 0 || e.offset() % au != 0
                        || e.offset() > deviceSize - e.length() || deviceSize > fs.device().size()) {
                    throw new AssertionError(where + " has extent " + e + " outside the device (0x"
                            + Long.toHexString(deviceSize) + " bytes)");
                }
            }
            long[] mapped = {0};
            long visited = new FileMapper(file.meta().fmap(), file.size()).map(0, file.size(), (devOff, len, delta) -> {
                if (devOff < 0 || len <= 0 || devOff > deviceSize - len || delta != mapped[0]) {
                    throw new AssertionError(String.format("%s maps file bytes [0x%x, +0x%x) to device 0x%x,"
                            + " outside the device (0x%x bytes)", where, delta, len, devOff, deviceSize));
                }
                mapped[0] += len;
            });
            if (visited != file.size() || mapped[0] != file.size()) {
                throw new AssertionError(where + " maps " + mapped[0] + " of its " + file.size() + " bytes");
            }
        });
        if (count[0] != ns.fileCount()) {
            throw new AssertionError(context + ": the tree holds " + count[0] + " files, the namespace counts " + ns.fileCount());
        }
    }

    interface FileVisitor {
        void visit(String path, Namespace.File file);
    }

    static void walk(Namespace.Dir dir, String prefix, FileVisitor visitor) {
        for (Namespace.Node n : dir.children().values()) {
            String path = prefix.isEmpty() ? n.name() : prefix + "/" + n.name();
            switch (n) {
                case Namespace.Dir d -> walk(d, path, visitor);
                case Namespace.File f -> visitor.visit(path, f);
            }
        }
    }

    /** Replayed files sharing an alloc unit, or sitting on the superblock/log, must be collisions. */
    static void checkOverlaps(Famfs fs, Namespace ns, AllocationBitmap bitmap, String context) {
        long au = fs.superblock().allocUnit();
        long reserved = (Superblock.REGION_SIZE + fs.superblock().logLen() + au - 1) / au;
        java.util.BitSet used = new java.util.BitSet();
        used.set(0, (int) reserved);
        String[] overlap = {null};
        walk(ns.root(), "", (path, file) -> {
            for (Extent e : file.meta().fmap().deviceExtents()) {
                int from = (int) (e.offset() / au);
                int to = (int) ((e.offset() + e.length() + au - 1) / au);
                if (used.get(from, to).cardinality() > 0 && overlap[0] == null) {
                    overlap[0] = path + " extent " + e;
                }
                used.set(from, to);
            }
        });
        if (overlap[0] != null && bitmap.collisions() == 0) {
            throw new AssertionError(context + ": replayed files overlap (" + overlap[0]
                    + ") but the allocation bitmap reports no collision");
        }
    }

    static void oneLine(String message, String context) {
        if (message == null || message.isBlank() || message.contains("\n")) {
            throw new AssertionError(context + ": not a one-line verdict: '" + message + "'");
        }
    }

    /** fsck and logplay --dryrun through the command line, with captured output. */
    static void checkCommands(Image img, String openError, String logProblem, ReplayReport replay, Namespace ns,
                              FsckReport report, String context) {
        Run fsck = famfs("fsck", img.path.toString());
        cleanStderr(fsck, context + ": fsck");
        Run logplay = famfs("logplay", "--dryrun", "--json", "--device", img.path.toString());
        cleanStderr(logplay, context + ": logplay");
        if (openError != null) {
            fsck.oneLineError(openError);
            logplay.oneLineError(openError);
            return;
        }
        boolean fsckShouldFail = report.errorCount() > 0;
        if ((fsck.exit() != 0) != fsckShouldFail) {
            throw new AssertionError(context + ": fsck exit " + fsck.exit() + " but its report counts "
                    + report.errorCount() + " errors\n" + fsck.out() + fsck.err());
        }
        if (report.collisions() > 0 && fsck.exit() != Math.min(255, report.collisions())) {
            throw new AssertionError(context + ": fsck exit " + fsck.exit() + " with " + report.collisions() + " collisions");
        }
        if (logProblem != null) {
            logplay.oneLineError(logProblem);
            return;
        }
        int errors = replay.errors();
        if (logplay.exit() != Math.min(255, errors)) {
            throw new AssertionError(context + ": logplay exit " + logplay.exit() + " but replay counts " + errors
                    + " errors (" + replay + ")\n" + logplay.out() + logplay.err());
        }
        Matcher files = JSON_FILES.matcher(logplay.out());
        Matcher errs = JSON_ERRORS.matcher(logplay.out());
        if (!files.find() || Long.parseLong(files.group(1)) != ns.fileCount()
                || !errs.find() || Long.parseLong(errs.group(1)) != errors) {
            throw new AssertionError(context + ": logplay --dryrun disagrees with the Replayer (" + ns.fileCount()
                    + " files, " + errors + " errors):\n" + logplay.out());
        }
    }

    private static CommandLine commandLine;

    /**
     * Runs the famfs command line in-process, as {@link Run#famfs} does, but on one reused
     * CommandLine (picocli resets every option before each parse): building the model of
     * all subcommands costs more than the fsck itself.
     */
    static synchronized Run famfs(String... args) {
        if (commandLine == null) {
            commandLine = Cli.commandLine();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exit = commandLine.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static void cleanStderr(Run r, String context) {
        if (r.exit() == Cli.INTERNAL || r.err().contains("internal error") || r.err().contains("\tat ")
                || r.err().contains("Exception")) {
            throw new AssertionError(context + ": internal error (exit " + r.exit() + "):\n" + r.err());
        }
        for (String line : r.err().strip().split("\n")) {
            if (!line.isEmpty() && !line.startsWith("famfs ")) {
                throw new AssertionError(context + ": stderr line is not a 'famfs ...' verdict: " + line);
            }
        }
    }
}
