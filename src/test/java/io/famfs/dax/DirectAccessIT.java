package io.famfs.dax;

import io.famfs.device.Libc;
import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Direct access for real: two node identities (master and client) mount one device file;
 * files are mapped through the Java API, directly and through each mount's broker, and
 * the broker's grants are tried by root, by an unprivileged uid (setpriv, with Python as
 * the client: a program nobody here wrote speaking the documented protocol) and against
 * a client mount and a device that went down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DirectAccessIT {
    private Path dev;
    private Daemon master;
    private Daemon client;

    @BeforeAll
    void start() throws Exception {
        dev = Devices.create("dax", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
        master = Daemon.mount(dev, Devices.MASTER);
        client = Daemon.mount(dev, Devices.CLIENT);
        String m = master.mountPoint.toString();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "5m", "-r", "-S", "11", m + "/simple").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "13m", "-r", "-S", "12", "-N", "2", "-B", "2", m + "/striped").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "4m", "-r", "-S", "13", m + "/shared").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", "-r", "-S", "14", "-m", "0600", m + "/private").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", "-r", "-S", "15", "-m", "0644", m + "/public").ok();
        Launcher.famfs(Devices.MASTER, "mkdir", m + "/dir").ok();
        for (String f : List.of("simple", "striped", "shared", "private", "public")) {
            for (int i = 0; i < 500 && !Files.exists(client.mountPoint.resolve(f)); i++) {
                Thread.sleep(10);
            }
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (Daemon d : new Daemon[] {client, master}) {
            if (d != null) {
                d.close();
            }
        }
        Devices.delete(dev);
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void theJavaApiMapsSimpleAndInterleavedFilesOntoTheDevice() throws Exception {
        for (String name : List.of("simple", "striped")) {
            for (Daemon d : List.of(master, client)) {
                Path file = d.mountPoint.resolve(name);
                byte[] viaFuse = Files.readAllBytes(file);
                for (DaxFile.Access access : DaxFile.Access.values()) {
                    try (DaxFile f = DaxFile.map(file, false, access)) {
                        assertEquals(viaFuse.length, f.size());
                        assertEquals(access == DaxFile.Access.BROKER, f.viaBroker());
                        assertArrayEquals(viaFuse, bytes(f.segment()), name + " via " + access + " on " + d.nodeUuid);
                    }
                }
            }
        }
        // and the bytes are the seeded pattern upstream writes (verified by our CLI)
        Launcher.famfs(Devices.MASTER, "verify", "-S", "12", "-f", master.mountPoint + "/striped").ok();
    }

    @Test
    void aStoreThroughTheMastersMappingIsSeenByTheClientsLiveMappingButNotByFuseMmap() throws Exception {
        Path onClient = client.mountPoint.resolve("shared");
        try (DaxFile live = DaxFile.map(onClient, false);
             FileChannel ch = FileChannel.open(onClient, StandardOpenOption.READ);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            // unmapped when the arena closes, so the FUSE file is not held open after the test
            MemorySegment fuseMap = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long offset = (3L << 20) + 1000; // in the file's second 2 MiB
            long before = live.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
            assertEquals(before, fuseMap.get(ValueLayout.JAVA_LONG_UNALIGNED, offset));
            long stored = ~before;
            try (DaxFile writer = DaxFile.map(master.mountPoint.resolve("shared"), true, DaxFile.Access.BROKER)) {
                writer.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, offset, stored);
            }
            // the client's live mapping sees the store: no re-open, no remount, no replay
            assertEquals(stored, live.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, offset));
            // the FUSE mapping of the same file on the same client serves its page cache
            assertEquals(before, fuseMap.get(ValueLayout.JAVA_LONG_UNALIGNED, offset), "a FUSE mmap saw another node's store");
            assertNotEquals(stored, before);
        }
    }

    @Test
    void aReadOnlyGrantCannotStore() throws Exception {
        String before = Devices.checksum(dev, 64L << 20);
        DaxFile.Grant g = DaxFile.ask(brokerOf(master), master.mountPoint.resolve("shared").toString(), false);
        try {
            long devOff = Long.parseLong(g.fmap().lines().filter(l -> l.startsWith("extent ")).findFirst().orElseThrow()
                    .split(" ")[1]);
            Libc.NativeException e = assertThrows(Libc.NativeException.class, () -> Libc.mmap(0, 2L << 20,
                    Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, g.fd(), devOff));
            assertEquals(Libc.EACCES, e.errno());
            // a read-only mapping of the grant works and holds the file's bytes
            long a = Libc.mmap(0, 2L << 20, Libc.PROT_READ, Libc.MAP_SHARED, g.fd(), devOff);
            byte[] head = MemorySegment.ofAddress(a).reinterpret(16).toArray(ValueLayout.JAVA_BYTE);
            Libc.munmap(a, 2L << 20);
            byte[] viaFuse = new byte[16];
            System.arraycopy(Files.readAllBytes(master.mountPoint.resolve("shared")), 0, viaFuse, 0, 16);
            assertArrayEquals(viaFuse, head);
            String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + g.fd())).stream()
                    .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
            assertEquals(0, Integer.parseInt(flags.split("\\s+")[1], 8) & 3, "not opened O_RDONLY: " + flags);
        } finally {
            Libc.close(g.fd());
        }
        assertEquals(before, Devices.checksum(dev, 64L << 20));
    }

    private static Path brokerOf(Daemon d) throws IOException {
        return Path.of(DaxFile.xattr(d.mountPoint, "famfs.broker"));
    }

    @Test
    void refusalsAreErrnoAnswers() throws Exception {
        Path cb = brokerOf(client);
        assertEquals(30, assertThrows(DaxFile.DaxException.class,
                () -> DaxFile.ask(cb, client.mountPoint.resolve("simple").toString(), true)).errno()); // EROFS
        assertEquals(30, assertThrows(DaxFile.DaxException.class,
                () -> DaxFile.map(client.mountPoint.resolve("simple"), true, DaxFile.Access.BROKER)).errno());
        Path mb = brokerOf(master);
        assertEquals(2, assertThrows(DaxFile.DaxException.class,
                () -> DaxFile.ask(mb, master.mountPoint.resolve("nope").toString(), false)).errno());
        assertEquals(2, assertThrows(DaxFile.DaxException.class, () -> DaxFile.ask(mb, "/etc/passwd", false)).errno());
        assertEquals(21, assertThrows(DaxFile.DaxException.class,
                () -> DaxFile.ask(mb, master.mountPoint.resolve("dir").toString(), false)).errno());
        assertEquals(2, assertThrows(DaxFile.DaxException.class, () -> DaxFile.ask(mb, "../../etc/passwd", false)).errno());
    }

    /** A broker client in Python, run as an unprivileged uid: prints the reply and the first bytes it maps. */
    private static final String PY = String.join("\n",
            "import socket, sys, mmap, array, os",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
            "s.connect(sys.argv[1])",
            "s.send(('MAP1 r ' + sys.argv[2]).encode())",
            "fds = array.array('i')",
            "msg, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))",
            "for level, kind, data in anc:",
            "    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:",
            "        fds.frombytes(data[:fds.itemsize])",
            "text = msg.decode()",
            "print(text.splitlines()[0])",
            "try:",
            "    os.open(sys.argv[3], os.O_RDONLY)",
            "    print('device-open: yes')",
            "except PermissionError:",
            "    print('device-open: refused')",
            "if text.startswith('OK') and len(fds) == 1:",
            "    off = int([l for l in text.splitlines() if l.startswith('extent ')][0].split()[1])",
            "    m = mmap.mmap(fds[0], 2 << 20, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ, offset=off)",
            "    print('head: ' + m[:16].hex())",
            "    try:",
            "        mmap.mmap(fds[0], 2 << 20, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE, offset=off)",
            "        print('write-map: yes')",
            "    except PermissionError:",
            "        print('write-map: refused')",
            "");

    private Run asNobody(String file) throws IOException {
        Path script = Files.createTempFile("famfs-broker", ".py");
        Files.writeString(script, PY);
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        try {
            return Launcher.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                    script.toString(), brokerOf(master).toString(), master.mountPoint.resolve(file).toString(), dev.toString()));
        } finally {
            Files.deleteIfExists(script);
        }
    }

    @Test
    void anUnprivilegedUserGetsWhatTheFileModeAllowsAndNoMore() throws Exception {
        Run pub = asNobody("public").ok();
        assertTrue(pub.out().startsWith("OK\n"), pub.out() + pub.err());
        assertTrue(pub.out().contains("device-open: refused"), pub.out()); // the device itself is root's (0600)
        byte[] head = new byte[16];
        System.arraycopy(Files.readAllBytes(master.mountPoint.resolve("public")), 0, head, 0, 16);
        assertTrue(pub.out().contains("head: " + HexFormat.of().formatHex(head)), pub.out());
        assertTrue(pub.out().contains("write-map: refused"), pub.out());
        Run priv = asNobody("private").ok();
        assertTrue(priv.out().startsWith("ERR 13 "), priv.out() + priv.err());
        assertFalse(priv.out().contains("head:"), priv.out());
    }

    @Test
    void aDeviceThatWentDownGetsNoGrants() throws Exception {
        Path d2 = Devices.create("dax-down", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", d2.toString()).ok();
        try (Daemon m = Daemon.mount(d2, Devices.MASTER)) {
            Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", "-r", "-S", "3", m.mountPoint + "/f").ok();
            Path broker = brokerOf(m);
            DaxFile.Grant ok = DaxFile.ask(broker, m.mountPoint.resolve("f").toString(), false);
            Libc.close(ok.fd());
            try (FileChannel ch = FileChannel.open(d2, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {'Q'}), 0x200000 + 48 + 100); // damage entry 0
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            int errno = 0;
            while (System.nanoTime() < deadline) {
                try {
                    Libc.close(DaxFile.ask(broker, m.mountPoint.resolve("f").toString(), false).fd());
                    Thread.sleep(10);
                } catch (DaxFile.DaxException e) {
                    errno = e.errno();
                    break;
                }
            }
            assertEquals(5, errno); // EIO
        } finally {
            Devices.delete(d2);
        }
    }
}
