package io.famfs.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.famfs.fuse.MountTable;
import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operator mistakes on live mounts (issue: trust). Each one used to serve wrong bytes or
 * leave half-done work; here each must be refused, or contained, with one clear line.
 * Two node identities on one device file stand in for two hosts.
 */
class OperatorMistakesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LOG_AREA = 10L << 20; // superblock + 8 MiB log
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private Path dev;

    @BeforeEach
    void device() {
        dev = Devices.create("mistakes", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) {
            c.close();
        }
        Devices.delete(dev);
    }

    private Daemon mount(Path device, String node) throws Exception {
        Daemon d = Daemon.mount(device, node);
        cleanup.add(d);
        return d;
    }

    private static String xattr(Path p, String name) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        ByteBuffer b = ByteBuffer.allocate(65536); // XATTR_SIZE_MAX: the value may change between a size() and a read()
        v.read(name, b);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static String awaitDown(Path mountPoint) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String state = xattr(mountPoint, "famfs.state");
        while (state.equals("ok") && System.nanoTime() < deadline) {
            Thread.sleep(10);
            state = xattr(mountPoint, "famfs.state");
        }
        return state;
    }

    private static long nextIndex(Path device) throws IOException {
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0x200000 + 40);
            return b.getLong(0);
        }
    }

    /** Overwrites {@code length} bytes of {@code to} at 0 with those of {@code from} (same inode). */
    private static void overwrite(Path from, Path to, long length) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.WRITE)) {
            long pos = 0;
            while (pos < length) {
                pos += in.transferTo(pos, length - pos, out.position(pos));
            }
            out.force(true);
        }
    }

    private static void writeByte(Path device, long offset, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) value}), offset);
        }
    }

    @Test
    void mkfsRefusesADeviceMountedOnThisHost() throws Exception {
        Daemon m = mount(dev, Devices.MASTER);
        Launcher.famfs(Devices.MASTER, "creat", "-s", "4m", "-r", "-S", "3", m.mountPoint + "/kept").ok();
        String before = Devices.checksum(dev, LOG_AREA);
        for (List<String> args : List.of(List.of("-f"), List.of("-f", "-k"), List.of("-k", "-f"))) {
            List<String> cmd = new ArrayList<>(List.of("mkfs"));
            cmd.addAll(args);
            cmd.add(dev.toString());
            Launcher.famfs(Devices.MASTER, cmd.toArray(String[]::new)).oneLineError(m.mountPoint.toString());
        }
        assertEquals(before, Devices.checksum(dev, LOG_AREA));
        Launcher.famfs(Devices.MASTER, "verify", "-S", "3", "-f", m.mountPoint + "/kept").ok();
        assertEquals("ok", xattr(m.mountPoint, "famfs.state"));
    }

    @Test
    void aFileSystemReMadeUnderAMountIsNeverServed() throws Exception {
        Daemon m = mount(dev, Devices.MASTER);
        Daemon c = mount(dev, Devices.CLIENT);
        Launcher.famfs(Devices.MASTER, "creat", "-s", "4m", "-r", "-S", "3", m.mountPoint + "/old").ok();
        awaitVisible(c.mountPoint.resolve("old"));
        // "another host" re-makes the device: a new file system whose first file lands on
        // the old file's space, with other bytes
        Path other = Devices.create("remade", 8 * Devices.GIB);
        cleanup.add(() -> Devices.delete(other));
        Launcher.famfs(Devices.CLIENT, "mkfs", other.toString()).ok();
        Launcher.famfs(Devices.CLIENT, "creat", "--device", other.toString(), "-s", "4m", "-r", "-S", "9", "new").ok();
        overwrite(other, dev, LOG_AREA + (64L << 20));
        long entries = nextIndex(dev);
        for (Daemon d : List.of(m, c)) {
            String state = awaitDown(d.mountPoint);
            assertTrue(state.startsWith("down: FS_CHANGED") && state.contains("re-made"), state);
            // never another file's bytes: every read answers EIO
            assertThrows(IOException.class, () -> {
                try (InputStream in = Files.newInputStream(d.mountPoint.resolve("old"))) {
                    in.read();
                }
            });
            Daemon.Reply ready = d.get("/q/health/ready");
            assertEquals(503, ready.status(), ready.body());
            assertTrue(ready.body().contains("re-made"), ready.body());
            JsonNode status = JSON.readTree(d.get("/api/v1/status").body());
            assertEquals("quarantined", status.path("device").path("state").asText(), status.toString());
            assertTrue(d.get("/q/metrics").body().contains("famfs_device_quarantined 1.0"));
        }
        // writes and creations through the stale mount are refused, by the CLI and by REST
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", m.mountPoint + "/x").oneLineError("re-made");
        Launcher.famfs(Devices.MASTER, "mkdir", m.mountPoint + "/d").oneLineError("mount");
        assertEquals(409, m.post("/api/v1/files", "{\"path\":\"y\",\"size\":\"2m\"}").status());
        assertEquals(409, m.post("/api/v1/dirs", "{\"path\":\"z\"}").status());
        assertEquals(409, m.post("/api/v1/quarantine/clear", null).status());
        assertThrows(IOException.class, () -> Files.write(m.mountPoint.resolve("old"), new byte[] {1},
                StandardOpenOption.WRITE));
        assertEquals(entries, nextIndex(dev), "the new file system was changed through the stale mount");
        // umount stays clean, and a new mount serves the new file system
        Launcher.famfs(Devices.MASTER, "umount", c.mountPoint.toString()).ok();
        Launcher.famfs(Devices.MASTER, "umount", m.mountPoint.toString()).ok();
        assertFalse(MountTable.isMounted(m.mountPoint));
        Daemon fresh = mount(dev, Devices.CLIENT);
        Launcher.famfs(Devices.CLIENT, "verify", "-S", "9", "-f", fresh.mountPoint + "/new").ok();
        assertEquals("ok", xattr(fresh.mountPoint, "famfs.state"));
    }

    private static void awaitVisible(Path p) throws InterruptedException {
        for (int i = 0; i < 500 && !Files.exists(p); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(p), p + " never appeared");
    }

    @Test
    void damagedMetadataUnderAMountTakesItDown() throws Exception {
        Daemon m = mount(dev, Devices.MASTER);
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", m.mountPoint + "/a").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", m.mountPoint + "/b").ok();
        Daemon c = mount(dev, Devices.CLIENT);
        // an applied entry changes (a byte of entry 1's path) ...
        writeByte(dev, 0x200000 + 48 + 544 + 100, 'Q');
        assertTrue(awaitDown(c.mountPoint).contains("applied log entry 1 changed"));
        assertTrue(awaitDown(m.mountPoint).contains("applied log entry 1 changed"));
    }

    @Test
    void nextIndexGoingBackTakesAMountDown() throws Exception {
        Daemon m = mount(dev, Devices.MASTER);
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", m.mountPoint + "/a").ok();
        writeByte(dev, 0x200000 + 40, 0);
        assertTrue(awaitDown(m.mountPoint).contains("next_index went back"));
    }

    @Test
    void severalMountsOnOneHostNeedNoOptions() throws Exception {
        Path dev2 = Devices.create("second", 8 * Devices.GIB);
        cleanup.add(() -> Devices.delete(dev2));
        Launcher.famfs(Devices.MASTER, "mkfs", dev2.toString()).ok();
        Path token = Files.createTempDirectory("famfs-token").resolve("t");
        List<String> env = List.of("FAMFS_API_TOKEN_FILE=" + token);
        List<Path> mps = new ArrayList<>();
        List<String> apis = new ArrayList<>();
        for (Path d : List.of(dev, dev2)) {
            Path mp = Files.createTempDirectory("famfs-multi");
            mps.add(mp);
            cleanup.add(() -> {
                if (MountTable.isMounted(mp)) {
                    Launcher.famfs(Devices.MASTER, "umount", mp.toString());
                }
                Files.deleteIfExists(mp);
            });
            Launcher.famfs(Devices.MASTER, env, "mount", d.toString(), mp.toString()).ok();
            String home = xattr(mp, "famfs.home");
            Map<String, String> server = readServer(Path.of(home, "server"));
            assertEquals(mp.toString(), server.get("mountpoint"));
            apis.add(server.get("api"));
        }
        assertNotEquals(apis.get(0), apis.get(1));
        assertNotEquals(xattr(mps.get(0), "famfs.home"), xattr(mps.get(1), "famfs.home"));
        for (String api : apis) {
            var r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(api + "/q/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), api + ": " + r.body());
        }
        // an explicitly requested port that is taken: one line naming it and the option
        String port = apis.get(0).substring(apis.get(0).lastIndexOf(':') + 1);
        Path dev3 = Devices.create("third", 8 * Devices.GIB);
        cleanup.add(() -> Devices.delete(dev3));
        Launcher.famfs(Devices.MASTER, "mkfs", dev3.toString()).ok();
        Path mp3 = Files.createTempDirectory("famfs-multi");
        cleanup.add(() -> Files.deleteIfExists(mp3));
        Launcher.famfs(Devices.MASTER, env, "mount", "--api-port", port, dev3.toString(), mp3.toString())
                .oneLineError("API port " + port).oneLineError("--api-port");
        assertFalse(MountTable.isMounted(mp3));
        // umount returns once the server has exited, and its home is gone
        String home = xattr(mps.get(0), "famfs.home");
        long pid = Long.parseLong(readServer(Path.of(home, "server")).get("pid"));
        Launcher.famfs(Devices.MASTER, "umount", mps.get(0).toString()).ok();
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "server still running");
        assertFalse(Files.exists(Path.of(home)), home + " left behind");
    }

    private static Map<String, String> readServer(Path file) throws IOException {
        Map<String, String> m = new java.util.HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    @Test
    void reservedAndMalformedNamesAreRefusedEverywhere() throws Exception {
        Daemon m = mount(dev, Devices.MASTER);
        String mp = m.mountPoint.toString();
        long entries = nextIndex(dev);
        Launcher.famfs(Devices.MASTER, "mkdir", mp + "/.meta/x").oneLineError("reserved");
        Launcher.famfs(Devices.MASTER, "mkdir", "-p", mp + "/.meta/y/z").oneLineError("reserved");
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", "--device", dev.toString(), ".meta").oneLineError("reserved");
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", "--device", dev.toString(), "/.meta/f").oneLineError("reserved");
        for (String body : List.of("{\"path\":\".meta\"}", "{\"path\":\".meta/x\",\"parents\":true}", "{\"path\":\"/abs\"}",
                "{\"path\":\"//x\"}", "{\"path\":5}", "{\"path\":[\"a\"]}", "{\"path\":{}}", "{\"path\":true}")) {
            Daemon.Reply r = m.post("/api/v1/dirs", body);
            assertEquals(400, r.status(), body + " -> " + r.body());
            assertTrue(JSON.readTree(r.body()).path("error").isTextual(), body + " -> " + r.body());
        }
        Daemon.Reply r = m.post("/api/v1/files", "{\"path\":\".meta\",\"size\":\"2m\"}");
        assertEquals(400, r.status(), r.body());
        assertEquals(entries, nextIndex(dev));
        Launcher.famfs(Devices.MASTER, "check", mp).ok();
    }

    @Test
    void cpToAMissingDirectoryIsNotADirectoryAsGnuCp(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Daemon m = mount(dev, Devices.MASTER);
        Path src = tmp.resolve("file");
        Files.writeString(src, "data\n");
        // the reference: GNU coreutils cp on an ordinary file system
        Run gnu = Launcher.run(List.of("cp", src.toString(), tmp.resolve("missing").toString() + "/"));
        assertNotEquals(0, gnu.exit());
        assertTrue(gnu.err().contains("Not a directory"), gnu.err());
        assertFalse(Files.exists(tmp.resolve("missing")));
        long entries = nextIndex(dev);
        Launcher.famfs(Devices.MASTER, "cp", src.toString(), m.mountPoint + "/missing/").oneLineError("Not a directory");
        assertEquals(entries, nextIndex(dev));
        assertFalse(Files.exists(m.mountPoint.resolve("missing")));
        // an existing file named with a trailing slash: also not a directory, for both
        Launcher.famfs(Devices.MASTER, "cp", src.toString(), m.mountPoint + "/f").ok();
        Launcher.famfs(Devices.MASTER, "cp", src.toString(), m.mountPoint + "/f/").oneLineError("Not a directory");
        assertNotEquals(0, Launcher.run(List.of("cp", src.toString(), src + "/")).exit());
    }
}
