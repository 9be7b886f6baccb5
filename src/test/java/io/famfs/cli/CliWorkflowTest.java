package io.famfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.famfs.format.Fmap;
import io.famfs.format.LogEntry;
import io.famfs.format.Superblock;
import io.famfs.log.Famfs;
import io.famfs.log.Replayer;
import io.famfs.namespace.Namespace;
import io.famfs.testing.Devices;
import io.famfs.testing.Golden;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The offline CLI end to end on a file-backed device, in-process. */
class CliWorkflowTest {
    private Path dev;

    @BeforeEach
    void makeDevice() {
        Devices.actAs(Devices.MASTER);
        dev = Devices.create("cli", 16 * Devices.GIB);
        Run.famfs("mkfs", dev.toString()).ok();
    }

    @AfterEach
    void cleanup() {
        Devices.delete(dev);
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    private Run famfs(String command, String... rest) {
        return Run.onDevice(dev, command, rest);
    }

    private Namespace namespace() {
        try (Famfs fs = Famfs.open(dev, false)) {
            Replayer r = new Replayer(fs);
            r.replay();
            return r.namespace();
        }
    }

    @Test
    void mkfsWritesAValidEmptyFileSystemOwnedByThisNode() {
        try (Famfs fs = Famfs.open(dev, false)) {
            Superblock sb = fs.superblock();
            assertEquals(Superblock.Status.VALID, sb.check());
            assertEquals(Devices.MASTER, sb.systemUuid().toString());
            assertEquals(16 * Devices.GIB, sb.deviceSize());
            assertEquals(dev.toString(), sb.deviceName());
            assertNull(fs.logProblem());
            assertEquals(0, fs.log().nextIndex());
            assertEquals(15420, fs.entryCapacity());
        }
        Run.famfs("fsck", dev.toString()).ok();
    }

    @Test
    void ourLayoutMatchesUpstreamsForTheSameOperations() {
        // the first operations that made the golden basic.img, replayed through our CLI
        famfs("mkdir", "-m", "0755", "-u", "0", "-g", "0", "dir1").ok();
        famfs("mkdir", "-p", "-u", "0", "-g", "0", "dir2/a/b").ok();
        famfs("mkdir", "-m", "0700", "-u", "1001", "-g", "1002", "private").ok();
        famfs("creat", "-s", "3m", "-m", "0644", "-u", "0", "-g", "0", "-r", "-S", "42", "dir1/f1").ok();
        try (Famfs ours = Famfs.open(dev, false); Famfs theirs = Famfs.open(Golden.image("basic"), false)) {
            for (int i = 0; i < 6; i++) {
                MemorySegment a = ours.log().slot(i);
                MemorySegment b = theirs.log().slot(i);
                assertEquals(-1, MemorySegment.mismatch(a, 0, LogEntry.SIZE, b, 0, LogEntry.SIZE), "entry " + i);
            }
            // same data at the same device offsets
            MemorySegment x = ours.device().memory().asSlice(0xa00000, 3 << 20);
            MemorySegment y = theirs.device().memory().asSlice(0xa00000, 3 << 20);
            assertEquals(-1, x.mismatch(y));
            // superblock: same fixed fields at the same offsets
            assertEquals(-1, MemorySegment.mismatch(ours.device().memory(), 0, 48, theirs.device().memory(), 0, 48));
            // and the log header
            assertEquals(-1, MemorySegment.mismatch(ours.logRegion(), 0, 32, theirs.logRegion(), 0, 32));
        }
        famfs("verify", "-S", "42", "-f", "dir1/f1").ok();
    }

    @Test
    void creatInterleavedThenVerifyThroughTheStrips() {
        famfs("creat", "-s", "10m", "-N", "4", "-B", "8", "-r", "-S", "7", "striped").ok();
        Namespace.File f = (Namespace.File) namespace().lookup("striped");
        Fmap.Interleaved il = assertInstanceOf(Fmap.Interleaved.class, f.meta().fmap());
        assertEquals(4, il.nstrips());
        assertEquals(2L << 20, il.chunkSize());
        il.strips().forEach(s -> assertEquals(4L << 20, s.length()));
        // each strip in a different 2 GiB bucket
        assertEquals(4, il.strips().stream().map(s -> s.offset() / (2 * Devices.GIB)).distinct().count());
        famfs("verify", "-S", "7", "-f", "striped").ok();
        famfs("verify", "-S", "8", "-f", "striped").oneLineError("mismatch at offset 0");
        Run.famfs("fsck", dev.toString()).ok();
    }

    @Test
    void interleaveLimitsAreUpstreams() {
        famfs("creat", "-s", "10m", "-N", "17", "-B", "8", "x").oneLineError("nstrips");
        famfs("creat", "-s", "10m", "-N", "4", "-B", "65", "x").oneLineError("nbuckets");
        famfs("creat", "-s", "10m", "-N", "4", "-B", "32", "x").oneLineError("smaller than 1 GiB");
        famfs("creat", "-s", "10m", "-N", "4", "-B", "8", "-C", "3m", "x").oneLineError("power of two");
    }

    @Test
    void allocCfgFileDrivesInterleaving(@TempDir Path tmp) throws IOException {
        Path cfg = tmp.resolve(".alloc.cfg");
        Files.writeString(cfg, "interleaved_alloc:\n  nbuckets: 8\n  nstrips: 2\n  chunk_size: 0x400000\n");
        famfs("creat", "-s", "16m", "--alloc-cfg", cfg.toString(), "f").ok();
        Fmap.Interleaved il = assertInstanceOf(Fmap.Interleaved.class,
                ((Namespace.File) namespace().lookup("f")).meta().fmap());
        assertEquals(2, il.nstrips());
        assertEquals(4L << 20, il.chunkSize());
    }

    @Test
    void creatMultiAndVerifyMulti() {
        famfs("mkdir", "d").ok();
        famfs("creat", "-M", "d/a,1m,11", "-M", "d/b,5000,12", "-M", "d/c,3m").ok();
        famfs("verify", "-m", "d/a,11", "-m", "d/b,12").ok();
        assertEquals(3, namespace().fileCount());
        famfs("creat", "-M", "d/x,1m", "-s", "1m", "y").oneLineError("--multi cannot be combined");
    }

    @Test
    void cpRecursiveCopiesTreesAndIsRestartable(@TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("src");
        Files.createDirectories(src.resolve("sub/deeper"));
        Random rnd = new Random(1);
        byte[] big = new byte[5 << 20];
        rnd.nextBytes(big);
        Files.write(src.resolve("big.bin"), big);
        Files.writeString(src.resolve("sub/hello.txt"), "hello famfs\n");
        Files.writeString(src.resolve("sub/deeper/x"), "x");
        famfs("mkdir", "dst").ok();
        famfs("cp", "-r", "-c", src.toString(), "dst").expect(1); // -c only compares: nothing there yet
        assertEquals(null, namespace().lookup("dst/src"));
        famfs("cp", "-r", src.toString(), "dst").ok(); // into an existing directory: dst/src
        famfs("cp", "-r", src.toString(), "copy").ok(); // to a new name: copy
        famfs("cp", "-r", "-c", src.toString(), "dst").ok(); // and compares equal (dst/src)
        Namespace ns = namespace();
        assertInstanceOf(Namespace.Dir.class, ns.lookup("copy/sub/deeper"));
        assertEquals(big.length, ((Namespace.File) ns.lookup("copy/big.bin")).size());
        assertArrayEquals(big, read("copy/big.bin"));
        assertEquals("hello famfs\n", new String(read("copy/sub/hello.txt")));
        long entries = entries();
        assertArrayEquals(big, read("dst/src/big.bin"));
        // restart: same sizes are overwritten in place, nothing new is logged
        famfs("cp", "-r", src.toString(), "dst").ok();
        Files.write(src.resolve("big.bin"), new byte[1]);
        // a different size at the destination is refused
        famfs("cp", src.resolve("big.bin").toString(), "copy/big.bin").expect(1);
        assertEquals(entries, entries());
        // several sources into a directory, and a pattern the shell did not expand
        famfs("mkdir", "many").ok();
        famfs("cp", src.resolve("sub").toString() + "/*.txt", src.resolve("sub/deeper/x").toString(), "many").ok();
        assertEquals("x", new String(read("many/x")));
        assertEquals("hello famfs\n", new String(read("many/hello.txt")));
        // a directory without -r
        famfs("cp", src.toString(), "other").expect(1);
    }

    private long entries() {
        try (Famfs fs = Famfs.open(dev, false)) {
            return fs.log().nextIndex();
        }
    }

    private byte[] read(String path) {
        try (Famfs fs = Famfs.open(dev, false)) {
            Replayer r = new Replayer(fs);
            r.replay();
            Namespace.File f = (Namespace.File) r.namespace().lookup(path);
            byte[] out = new byte[(int) f.size()];
            new io.famfs.namespace.FileData(fs.device().memory(), f.meta()).read(0, MemorySegment.ofArray(out));
            return out;
        }
    }

    @Test
    void getmapJsonAndExitStatuses() throws IOException {
        famfs("creat", "-s", "3m", "f").ok();
        Run r = famfs("getmap", "--json", "f").ok();
        JsonNode map = new ObjectMapper().readTree(r.out());
        assertEquals("simple", map.get("type").asText());
        assertEquals(0xa00000, map.get("extents").get(0).get("offset").asLong());
        assertEquals(0x400000, map.get("extents").get(0).get("length").asLong());
        famfs("getmap", "-q", "f").ok();
        famfs("mkdir", "d").ok();
        famfs("getmap", "d").expect(21);
        famfs("getmap", "missing").expect(2);
    }

    @Test
    void cloneCrossLinksAndFsckFails() throws IOException {
        famfs("creat", "-s", "4m", "-r", "-S", "5", "a").ok();
        famfs("clone", "a", "b").ok();
        famfs("verify", "-S", "5", "-f", "b").ok();
        Run fsck = Run.famfs("fsck", dev.toString());
        assertEquals(2, fsck.exit()); // two allocation units collide
        assertTrue(fsck.out().contains("ERROR: 2 ALLOCATION COLLISIONS FOUND"), fsck.out());
        JsonNode json = new ObjectMapper().readTree(Run.famfs("fsck", "--json", dev.toString()).out());
        assertEquals(2, json.get("collisions").asInt());
    }

    @Test
    void logplayDryrunListsWhatReplayWouldCreate() throws IOException {
        famfs("mkdir", "-p", "a/b").ok();
        famfs("creat", "-s", "1k", "a/b/f").ok();
        Run r = famfs("logplay", "--dryrun").ok();
        assertTrue(r.out().contains("create file"), r.out());
        assertTrue(r.out().contains("a/b/f"), r.out());
        assertTrue(r.out().contains("2 directories"), r.out());
        JsonNode json = new ObjectMapper().readTree(famfs("logplay", "-n", "--json").ok().out());
        assertEquals(3, json.get("items").size());
        assertEquals(1, json.get("files").asInt());
        famfs("logplay").oneLineError("--dryrun");
    }

    @Test
    void chkreadAndFlush() {
        famfs("creat", "-s", "2m", "-r", "-S", "3", "f").ok();
        famfs("chkread", "f").ok();
        famfs("chkread", "-s").ok();
        famfs("chkread", "-l").ok();
        famfs("flush", "-v", "f").ok();
    }

    @Test
    void mkdirModesOwnersAndParents() {
        famfs("mkdir", "-m", "0711", "-u", "5", "-g", "6", "x").ok();
        famfs("mkdir", "x").oneLineError("already exists");
        famfs("mkdir", "-p", "x").ok();
        famfs("mkdir", "y/z").oneLineError("parent directory does not exist");
        Namespace.Dir x = (Namespace.Dir) namespace().lookup("x");
        assertEquals(0711, x.mode());
        assertEquals(5, x.uid());
        assertEquals(6, x.gid());
    }

    @Test
    void mkfsRefusesAnExistingFileSystemWithoutForce() {
        String before = Devices.checksum(dev, 12 << 20);
        Run.famfs("mkfs", dev.toString()).oneLineError("already holds a famfs");
        Devices.actAs(Devices.CLIENT);
        Run.famfs("mkfs", dev.toString()).oneLineError("owned by another master");
        assertEquals(before, Devices.checksum(dev, 12 << 20));
        Run.famfs("mkfs", "-f", dev.toString()).ok();
        assertNotEquals(before, Devices.checksum(dev, 12 << 20));
        Run.famfs("mkfs", "-k", dev.toString()).oneLineError("already holds a famfs"); // -k alone: a normal mkfs
        Run.famfs("mkfs", "-k", "-f", dev.toString()).ok();
        Run.famfs("fsck", dev.toString()).oneLineError("no famfs superblock");
    }
}
