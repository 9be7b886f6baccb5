package io.famfs.format;

import io.famfs.log.Famfs;
import io.famfs.log.ReplayReport;
import io.famfs.log.Replayer;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import io.famfs.testing.Devices;
import io.famfs.testing.Golden;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decodes the images upstream famfs wrote and checks every fact its tools printed about
 * them (../shared/golden): superblock, log header, every entry's type, CRC, path and
 * extents, and that our encoder reproduces each entry byte for byte.
 */
class GoldenImagesTest {
    @BeforeAll
    static void master() {
        Devices.actAs(Devices.MASTER);
    }

    @AfterAll
    static void reset() {
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    /** One entry as upstream's dump printed it. */
    record Dumped(long index, int type, long crc, String path, long size, String mkdirMode, String owner,
                  List<long[]> extents, boolean interleaved) {
    }

    private static final Pattern HEAD = Pattern.compile("^\\[(\\d+)] seq=(\\d+) type=(\\d+) crc=0x([0-9a-f]+)$");
    private static final Pattern MKDIR = Pattern.compile("^  entry: mkdir: (\\d+) (\\d+:\\d+): (.*) $");
    private static final Pattern FILE = Pattern.compile("^  entry: \\d+ file=(.*) size=(\\d+)$");
    private static final Pattern EXT = Pattern.compile("^\\text: \\d+ tofs=0x([0-9a-f]+) len=0x([0-9a-f]+)$");
    private static final Pattern STRIP = Pattern.compile("^\\t\\tstrip: dev=(\\d+) ofs=0x([0-9a-f]+) len=0x([0-9a-f]+)$");

    static List<Dumped> parseDump(String text) {
        List<Dumped> out = new ArrayList<>();
        long index = -1;
        int type = -1;
        long crc = 0;
        String path = null;
        long size = 0;
        String mode = null;
        String owner = null;
        List<long[]> extents = new ArrayList<>();
        boolean interleaved = false;
        for (String line : (text + "\n[999999999] seq=0 type=0 crc=0x0").split("\n")) {
            Matcher m;
            if ((m = HEAD.matcher(line)).matches()) {
                if (index >= 0) {
                    out.add(new Dumped(index, type, crc, path, size, mode, owner, extents, interleaved));
                }
                index = Long.parseLong(m.group(1));
                type = Integer.parseInt(m.group(3));
                crc = Long.parseLong(m.group(4), 16);
                path = null;
                mode = null;
                owner = null;
                size = 0;
                extents = new ArrayList<>();
                interleaved = false;
            } else if ((m = MKDIR.matcher(line)).matches()) {
                mode = m.group(1);
                owner = m.group(2);
                path = m.group(3);
            } else if ((m = FILE.matcher(line)).matches()) {
                path = m.group(1);
                size = Long.parseLong(m.group(2));
            } else if ((m = EXT.matcher(line)).matches()) {
                extents.add(new long[] {0, Long.parseLong(m.group(1), 16), Long.parseLong(m.group(2), 16)});
            } else if ((m = STRIP.matcher(line)).matches()) {
                interleaved = true;
                extents.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2), 16),
                        Long.parseLong(m.group(3), 16)});
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"basic", "many"})
    void everyDumpedEntryDecodesAndReencodesToIdenticalBytes(String name) {
        List<Dumped> dumped = parseDump(Golden.text(name + ".dump.txt"));
        assertEquals(name.equals("basic") ? 10 : 1560, dumped.size());
        try (Famfs fs = Famfs.open(Golden.image(name), false); Arena arena = Arena.ofConfined()) {
            assertEquals(dumped.size(), fs.log().nextIndex());
            MemorySegment scratch = arena.allocate(LogEntry.SIZE);
            for (Dumped d : dumped) {
                MemorySegment slot = fs.log().slot(d.index());
                LogEntry.Decoded e = LogEntry.decode(slot);
                assertEquals(d.index(), e.seqnum());
                assertEquals(d.type(), e.type());
                assertEquals(d.crc(), e.storedCrc(), "stored CRC of entry " + d.index());
                assertEquals(d.crc(), e.computedCrc(), "computed CRC of entry " + d.index());
                switch (e.record()) {
                    case LogRecord.Mkdir m -> {
                        assertEquals(d.path(), m.path());
                        assertEquals(d.mkdirMode(), Integer.toOctalString(m.mode()));
                        assertEquals(d.owner(), m.uid() + ":" + m.gid());
                    }
                    case LogRecord.File f -> {
                        assertEquals(d.path(), f.path());
                        assertEquals(d.size(), f.size());
                        assertEquals(LogRecord.FLAG_ALL_HOSTS_RW, f.flags());
                        assertEquals(d.interleaved(), f.fmap() instanceof Fmap.Interleaved);
                        List<Extent> ext = f.fmap().deviceExtents();
                        assertEquals(d.extents().size(), ext.size());
                        for (int i = 0; i < ext.size(); i++) {
                            assertEquals(d.extents().get(i)[0], ext.get(i).devIndex());
                            assertEquals(d.extents().get(i)[1], ext.get(i).offset());
                            assertEquals(d.extents().get(i)[2], ext.get(i).length());
                        }
                    }
                    default -> throw new AssertionError("unexpected record " + e.record());
                }
                LogEntry.encode(e.record(), e.seqnum(), scratch);
                assertEquals(-1, MemorySegment.mismatch(slot, 0, LogEntry.SIZE, scratch, 0, LogEntry.SIZE),
                        "re-encoded entry " + d.index() + " differs");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"basic", "many"})
    void superblockAndLogHeaderMatchUpstreamDump(String name) {
        String dump = Golden.text(name + ".dump.txt");
        try (Famfs fs = Famfs.open(Golden.image(name), false)) {
            Superblock sb = fs.superblock();
            assertEquals(Superblock.Status.VALID, sb.check());
            assertTrue(dump.contains("fs uuid:     " + sb.fsUuid()));
            assertTrue(dump.contains("dev uuid:    " + sb.devUuid()));
            assertTrue(dump.contains("system uuid: " + sb.systemUuid()));
            assertTrue(dump.contains("daxdev: " + sb.deviceName() + " size " + sb.deviceSize()));
            assertEquals(Devices.MASTER, sb.systemUuid().toString());
            assertEquals(0x200000, sb.allocUnit());
            assertEquals(2, sb.omfMajor());
            assertEquals(2, sb.omfMinor());
            assertEquals(0x800000, sb.logLen());
            assertEquals(null, fs.logProblem());
            assertEquals(15419, fs.log().lastIndex());
            assertTrue(dump.contains("next index: " + fs.log().nextIndex()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"basic", "many"})
    void fsckPrintsWhatUpstreamPrinted(String name) {
        Run r = Run.famfs("fsck", Golden.image(name).toString()).ok();
        assertEquals(Golden.text(name + ".fsck.txt"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void basicNamespaceIsTheReadmeTable() {
        try (Famfs fs = Famfs.open(Golden.image("basic"), false)) {
            Replayer replayer = new Replayer(fs);
            ReplayReport report = replayer.replay();
            assertTrue(report.clean(), report.toString());
            assertEquals(5, report.filesCreated());
            assertEquals(5, report.dirsCreated());
            Namespace ns = replayer.namespace();
            dir(ns, "dir1", 0755, 0, 0);
            dir(ns, "dir2/a/b", 0755, 0, 0);
            dir(ns, "private", 0700, 1001, 1002);
            file(ns, "dir1/f1", 3145728, 0644, 0, 0);
            file(ns, "dir2/a/striped", 10485760, 0644, 0, 0);
            file(ns, "small", 4096, 0600, 1000, 1000);
            file(ns, "dir2/a/b/onebyte", 1, 0644, 0, 0);
            file(ns, "dir2/au-plus-one", 2097153, 0644, 0, 0);
            Namespace.File striped = (Namespace.File) ns.lookup("dir2/a/striped");
            Fmap.Interleaved il = assertInstanceOf(Fmap.Interleaved.class, striped.meta().fmap());
            assertEquals(4, il.nstrips());
            assertEquals(0x200000, il.chunkSize());
            il.strips().forEach(s -> assertEquals(0x400000, s.length()));
            // seeded data, through simple and interleaved maps
            MemorySegment dev = fs.device().memory();
            assertEquals(-1, new FileData(dev, ((Namespace.File) ns.lookup("dir1/f1")).meta()).verify(42));
            assertEquals(-1, new FileData(dev, striped.meta()).verify(7));
            assertEquals(-1, new FileData(dev, ((Namespace.File) ns.lookup("dir2/a/b/onebyte")).meta()).verify(99));
            assertEquals(-1, new FileData(dev, ((Namespace.File) ns.lookup("dir2/au-plus-one")).meta()).verify(1234567));
            // a wrong seed must fail: the check can fail
            assertEquals(0, new FileData(dev, striped.meta()).verify(8));
            // "small" is zero-filled
            Namespace.File small = (Namespace.File) ns.lookup("small");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(4096);
                new FileData(dev, small.meta()).read(0, buf);
                for (long i = 0; i < 4096; i++) {
                    assertEquals(0, buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
                }
            }
        }
    }

    @Test
    void manyNamespaceHasEveryFileWithItsSize() {
        try (Famfs fs = Famfs.open(Golden.image("many"), false)) {
            Replayer replayer = new Replayer(fs);
            assertTrue(replayer.replay().clean());
            Namespace ns = replayer.namespace();
            assertEquals(1500, ns.fileCount());
            assertEquals(60, ns.dirCount());
            for (int i = 0; i < 1500; i++) {
                Namespace.Node n = ns.lookup("d" + (i % 30) + "/sub/file" + i);
                assertNotNull(n, "file" + i);
                assertEquals((i % 7 + 1) * 4096L, ((Namespace.File) n).size());
            }
        }
    }

    private static void dir(Namespace ns, String path, int mode, int uid, int gid) {
        Namespace.Dir d = assertInstanceOf(Namespace.Dir.class, ns.lookup(path), path);
        assertEquals(mode, d.mode(), path);
        assertEquals(uid, d.uid(), path);
        assertEquals(gid, d.gid(), path);
    }

    private static void file(Namespace ns, String path, long size, int mode, int uid, int gid) {
        Namespace.File f = assertInstanceOf(Namespace.File.class, ns.lookup(path), path);
        assertEquals(size, f.size(), path);
        assertEquals(mode, f.mode(), path);
        assertEquals(uid, f.uid(), path);
        assertEquals(gid, f.gid(), path);
    }
}
