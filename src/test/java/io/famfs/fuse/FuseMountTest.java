package io.famfs.fuse;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.testing.Devices;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real FUSE mounts of a file-backed device (needs root, /dev/fuse and Debian libfuse2 +
 * fuse, which .ci/run installs): the data path, the famfs rules, and a master and a
 * client mount of one device following the log.
 */
class FuseMountTest {
    private static final UUID MASTER = UUID.fromString(Devices.MASTER);
    private static final UUID CLIENT = UUID.fromString(Devices.CLIENT);

    @TempDir
    Path tmp;
    private Path dev;
    private final List<FuseServer> servers = new ArrayList<>();

    @BeforeEach
    void mkfs() {
        Devices.actAs(Devices.MASTER);
        dev = Devices.create("fuse", 8 * Devices.GIB);
        Run.famfs("mkfs", dev.toString()).ok();
    }

    @AfterEach
    void cleanup() {
        servers.forEach(FuseServer::close);
        Devices.delete(dev);
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    private Path mount(String name, UUID node, MountOptions options) throws IOException {
        Path mp = Files.createDirectories(tmp.resolve(name));
        servers.add(FuseServer.start(dev, mp, options, node));
        return mp;
    }

    private Path mount(String name, UUID node) throws IOException {
        return mount(name, node, MountOptions.defaults());
    }

    private static void awaitVisible(Path p) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!Files.exists(p)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(p + " did not appear within 5 s");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void cliThroughTheMountAndTheDataPath() throws Exception {
        Path mp = mount("m", MASTER);
        Run.famfs("mkdir", "-p", "-m", "0750", mp.resolve("a/b").toString()).ok();
        Run.famfs("creat", "-s", "10m", "-r", "-S", "7", "-N", "4", "-B", "8", mp.resolve("a/b/striped").toString()).ok();
        Run.famfs("creat", "-s", "3000", "-r", "-S", "3", "-m", "0600", mp.resolve("a/small").toString()).ok();
        // visible when the command returns: no waiting
        assertTrue(Files.isDirectory(mp.resolve("a/b")));
        Path striped = mp.resolve("a/b/striped");
        assertEquals(10L << 20, Files.size(striped));
        PosixFileAttributes attrs = Files.readAttributes(mp.resolve("a/small"), PosixFileAttributes.class);
        assertEquals("rw-------", PosixFilePermissions.toString(attrs.permissions()));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(
                Files.readAttributes(mp.resolve("a/b"), PosixFileAttributes.class).permissions()));
        Run.famfs("verify", "-S", "7", "-f", striped.toString()).ok();
        // bytes read through the mount are the bytes on the device, through the strips
        byte[] viaMount = Files.readAllBytes(striped);
        byte[] viaDevice = new byte[viaMount.length];
        try (Famfs fs = Famfs.open(dev, false)) {
            var r = new io.famfs.log.Replayer(fs);
            r.replay();
            var f = (io.famfs.namespace.Namespace.File) r.namespace().lookup("a/b/striped");
            new io.famfs.namespace.FileData(fs.device().memory(), f.meta()).read(0, MemorySegment.ofArray(viaDevice));
        }
        assertArrayEquals(viaDevice, viaMount);
        // reads past EOF are short
        try (FileChannel ch = FileChannel.open(mp.resolve("a/small"))) {
            ByteBuffer b = ByteBuffer.allocate(8192);
            assertEquals(3000, ch.read(b, 0));
            assertEquals(-1, ch.read(ByteBuffer.allocate(10), 3000));
        }
        assertEquals(0, Run.famfs("check", mp.toString()).exit());
        assertTrue(Run.famfs("logplay", mp.toString()).ok().out().contains("replayed log entries"));
        Run.famfs("getmap", mp.resolve("a/b/striped").toString()).ok();
        assertEquals(0, Run.famfs("fsck", mp.toString()).exit());
    }

    @Test
    void metaFilesAreUpstreams() throws Exception {
        Path mp = mount("m", MASTER);
        Path sb = mp.resolve(".meta/.superblock");
        Path log = mp.resolve(".meta/.log");
        assertEquals(2L << 20, Files.size(sb));
        assertEquals(8L << 20, Files.size(log));
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(sb)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
        byte[] head = new byte[200];
        try (var in = Files.newInputStream(sb)) {
            assertEquals(200, in.readNBytes(head, 0, 200));
        }
        assertEquals(io.famfs.format.Superblock.Status.VALID,
                new io.famfs.format.Superblock(MemorySegment.ofArray(head)).check());
        assertThrows(IOException.class, () -> Files.write(sb, new byte[1], StandardOpenOption.WRITE));
        Run.famfs("chkread", "-s", "--device", dev.toString()).ok();
    }

    @Test
    void famfsRulesAreEnforced() throws Exception {
        Path mp = mount("m", MASTER);
        Run.famfs("creat", "-s", "1m", mp.resolve("f").toString()).ok();
        Path f = mp.resolve("f");
        assertThrows(IOException.class, () -> Files.createFile(mp.resolve("new")));
        assertThrows(IOException.class, () -> Files.createDirectory(mp.resolve("dir")));
        assertThrows(IOException.class, () -> Files.delete(f));
        assertThrows(IOException.class, () -> Files.move(f, mp.resolve("g")));
        assertThrows(IOException.class, () -> Files.createSymbolicLink(mp.resolve("l"), f));
        assertThrows(IOException.class, () -> Files.createLink(mp.resolve("h"), f));
        assertThrows(IOException.class, () -> Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxrwxrwx")));
        assertThrows(IOException.class, () -> Files.write(f, new byte[1])); // O_TRUNC
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            assertThrows(IOException.class, () -> ch.truncate(10));
            assertEquals(4, ch.write(ByteBuffer.wrap("abcd".getBytes()), (1 << 20) - 4)); // in place: fine
            assertThrows(IOException.class, () -> ch.write(ByteBuffer.wrap("x".getBytes()), 1 << 20)); // grow: no
        }
        assertEquals(1L << 20, Files.size(f));
        assertFalse(Files.exists(mp.resolve("new")));
    }

    @Test
    void mmapReadAndSharedWrite() throws Exception {
        Path mp = mount("m", MASTER);
        Run.famfs("creat", "-s", "4m", "-r", "-S", "11", mp.resolve("f").toString()).ok();
        try (FileChannel ch = FileChannel.open(mp.resolve("f"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4 << 20);
            byte[] first = new byte[16];
            m.get(0, first);
            byte[] read = new byte[16];
            ch.read(ByteBuffer.wrap(read), 0);
            assertArrayEquals(read, first);
            m.put(0, "famfs-mmap-write".getBytes());
            m.force();
        }
        Run.famfs("verify", "-S", "11", "-f", mp.resolve("f").toString()).oneLineError("mismatch at offset 0");
        byte[] back = new byte[16];
        try (Famfs fs = Famfs.open(dev, false)) {
            MemorySegment.copy(fs.device().memory(), 0xa00000, MemorySegment.ofArray(back), 0, 16);
        }
        assertEquals("famfs-mmap-write", new String(back));
    }

    @Test
    void clientMountFollowsTheMasterAndCatchesUpAfterARestart() throws Exception {
        Path master = mount("master", MASTER);
        Path client = mount("client", CLIENT);
        Run.famfs("creat", "-s", "2m", "-r", "-S", "5", master.resolve("one").toString()).ok();
        awaitVisible(client.resolve("one"));
        assertArrayEquals(Files.readAllBytes(master.resolve("one")), Files.readAllBytes(client.resolve("one")));
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(client.resolve("one"))));
        assertThrows(IOException.class, () -> Files.write(client.resolve("one"), new byte[1], StandardOpenOption.WRITE));
        // a client cannot create, through its mount or the CLI
        Devices.actAs(Devices.CLIENT);
        Run.famfs("creat", "-s", "1m", client.resolve("nope").toString()).oneLineError("is a client");
        Devices.actAs(Devices.MASTER);
        // stop the client, change things, start it again: it catches up
        servers.remove(1).close();
        Run.famfs("mkdir", master.resolve("later").toString()).ok();
        Run.famfs("creat", "-s", "1m", "-r", "-S", "6", master.resolve("later/two").toString()).ok();
        Path again = mount("client2", CLIENT);
        assertTrue(Files.exists(again.resolve("later/two")));
        assertArrayEquals(Files.readAllBytes(master.resolve("later/two")), Files.readAllBytes(again.resolve("later/two")));
        // and keeps following
        Run.famfs("creat", "-s", "1m", master.resolve("three").toString()).ok();
        awaitVisible(again.resolve("three"));
    }

    @Test
    void refusesABadDeviceAndUnmountsCleanly() throws Exception {
        Path blank = Devices.create("blank", 4 * Devices.GIB);
        try {
            Path mp = Files.createDirectories(tmp.resolve("bad"));
            FamfsException e = assertThrows(FamfsException.class,
                    () -> FuseServer.start(blank, mp, MountOptions.defaults(), MASTER));
            assertTrue(e.getMessage().contains("no famfs superblock"), e.getMessage());
            assertFalse(MountTable.isMounted(mp));
        } finally {
            Devices.delete(blank);
        }
        Path mp = mount("m", MASTER);
        FuseServer server = servers.getFirst();
        Run.famfs("umount", mp.toString()).ok();
        server.awaitUnmount();
        assertFalse(MountTable.isMounted(mp));
        Run.famfs("umount", mp.toString()).oneLineError("not a famfs mount");
    }

    @Test
    void cacheModesServeTheSameBytes() throws Exception {
        Run.famfs("creat", "-s", "5m", "-r", "-S", "9", "--device", dev.toString(), "f").ok();
        for (CacheMode mode : CacheMode.values()) {
            MountOptions o = new MountOptions(1, 20, true, true, false, mode, false, false);
            Path mp = mount("m-" + mode, MASTER, o);
            Run.famfs("verify", "-S", "9", "-f", mp.resolve("f").toString()).ok();
            byte[] all = Files.readAllBytes(mp.resolve("f"));
            assertEquals(5 << 20, all.length);
        }
    }
}
