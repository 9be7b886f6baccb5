package io.famfs.fuse;

import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Golden;
import io.famfs.testing.Launcher;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream famfs_fused's side of a mount, for real: the root's {@code user.famfs.shadow}
 * (read with getfattr, as upstream's smoke tests do), the shadow tree the server keeps in
 * SHADOW/root as the log grows, the REST socket SHADOW/sock (every route with curl, a
 * malformed request, a caller who is neither root nor the server's user), two mounts
 * that never share it, {@code famfs logplay --shadow} on a live mount, and the
 * {@code famfs_fused} entry point: its exits, and a mount made with it that serves a file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShadowIT {
    private Path dev;
    private Path dev2;
    private Daemon master;
    private Daemon second;

    @BeforeAll
    void start() throws Exception {
        dev = Devices.create("shadow", 8 * Devices.GIB);
        dev2 = Devices.create("shadow2", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
        Launcher.famfs(Devices.MASTER, "mkfs", dev2.toString()).ok();
        master = Daemon.mount(dev, Devices.MASTER);
        second = Daemon.mount(dev2, Devices.MASTER);
        String m = master.mountPoint.toString();
        Launcher.famfs(Devices.MASTER, "mkdir", "-m", "0750", m + "/dir").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "3m", "-r", "-S", "7", m + "/dir/f").ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "9m", "-N", "2", "-B", "2", m + "/striped").ok();
    }

    @AfterAll
    void stop() throws Exception {
        if (master != null) {
            master.close();
        }
        if (second != null) {
            second.close();
        }
        Devices.delete(dev);
        Devices.delete(dev2);
    }

    static Run sh(String... cmd) {
        return Launcher.run(List.of(cmd));
    }

    static String shadowOf(Path mnt) {
        return sh("getfattr", "-n", "user.famfs.shadow", "--only-values", mnt.toString()).ok().out();
    }

    @Test
    void rootAnswersTheShadowDirInItsHome() {
        String shadow = shadowOf(master.mountPoint);
        assertEquals(MountHome.of(master.mountPoint).shadowDir().toString(), shadow);
        String home = sh("getfattr", "-n", "user.famfs.home", "--only-values", master.mountPoint.toString()).ok().out();
        assertEquals(Path.of(home).resolve("shadow").toString(), shadow);
        // two mounts: two homes, two shadow dirs, two sockets
        String other = shadowOf(second.mountPoint);
        assertNotEquals(shadow, other);
        assertTrue(Files.exists(Path.of(other, "sock")));
        // every name is listed on the root
        String all = sh("getfattr", "-d", "-m", "-", master.mountPoint.toString()).ok().out();
        assertTrue(all.contains("user.famfs.shadow=\"" + shadow + "\""), all);
        assertTrue(all.contains("user.famfs.home="), all);
    }

    @Test
    void serverKeepsTheShadowTreeAsTheLogGrows() throws Exception {
        Path root = Path.of(shadowOf(master.mountPoint), "root");
        Path dir = root.resolve("dir");
        assertTrue(Files.isDirectory(dir));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        String f = Files.readString(dir.resolve("f"));
        assertTrue(f.startsWith("---\nfile:\n  path: dir/f\n  size: 3145728\n  flags: 2\n  mode: 0644\n"), f);
        assertTrue(f.contains("  nextents: 1\n  simple_ext_list:\n  - devindex: 0\n"), f);
        assertTrue(Files.readString(root.resolve("striped")).contains("  striped_ext_list:\n  - nstrips: 2\n"));
        assertTrue(Files.readString(root.resolve(".meta/.log")).contains("  mode: 0644\n"));
        // a file created later (from another process) appears in the tree
        Launcher.famfs(Devices.MASTER, "creat", "-s", "2m", master.mountPoint + "/later").ok();
        for (int i = 0; i < 200 && !Files.exists(root.resolve("later")); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.readString(root.resolve("later")).contains("  path: later\n"));
        // and the whole tree passes upstream's check against the log
        Path scratch = Files.createTempDirectory("famfs-shadow-live");
        try {
            Run r = Launcher.famfs(Devices.MASTER, "logplay", "--shadow", root.toString(), "--shadowtest",
                    master.mountPoint.toString()).ok();
            assertTrue(r.out().contains("; 0 new files; 0 new directories\n"), r.out());
            assertTrue(r.out().contains("\tthere were 0 yaml errors detected\n"), r.out());
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    @Test
    void logplayShadowOnALiveMount() throws Exception {
        Path shadow = Files.createTempDirectory("famfs-shadow-cli");
        try {
            Run r = Launcher.famfs(Devices.MASTER, "logplay", "--shadow", shadow.toString(), "--shadowtest",
                    master.mountPoint + "/dir").ok();
            assertTrue(r.out().startsWith("Logplay: running in shadow test mode\n"), r.out());
            assertTrue(r.out().matches("(?s).*famfs_logplay\\(shadow\\): \\d+ log entries; \\d+ new files; 1 new directories\n.*"),
                    r.out());
            assertTrue(Files.readString(shadow.resolve("root/dir/f")).contains("  path: dir/f\n"));
            // tampering is detected by --shadowtest and counted in the exit
            Path f = shadow.resolve("root/dir/f");
            Files.writeString(f, Files.readString(f).replace("size: 3145728", "size: 3145729"));
            Run t = Launcher.famfs(Devices.MASTER, "logplay", "--shadow", shadow.toString(), "--shadowtest",
                    master.mountPoint.toString()).expect(1);
            assertTrue(t.out().contains("\tthere were 1 yaml errors detected\n"), t.out());
            // without --shadowtest nothing is checked, and existing files are kept
            Run k = Launcher.famfs(Devices.MASTER, "logplay", "--shadow", shadow.toString(),
                    master.mountPoint.toString()).ok();
            assertFalse(k.out().contains("yaml"), k.out());
            assertTrue(Files.readString(f).contains("size: 3145729"));
        } finally {
            sh("rm", "-rf", shadow.toString());
        }
    }

    @Test
    void logplayShadowPathNotWritableIs13() throws Exception {
        Path shadow = Files.createTempDirectory("famfs-shadow-ro");
        Path img = Devices.create("shadow-ro", 0);
        try {
            sh("cp", "--sparse=always", Golden.image("basic").toString(), img.toString()).ok();
            sh("chmod", "0644", img.toString()).ok();
            sh("chmod", "0755", shadow.toString()).ok();
            Run r = sh("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "env", "HOME=/tmp",
                    Daemon.HOME.resolve("bin/famfs").toString(), "logplay", "--shadow", shadow.toString(), "--daxdev",
                    img.toString());
            assertEquals(13, r.exit(), r.err());
        } finally {
            Files.deleteIfExists(shadow);
            Devices.delete(img);
        }
    }

    static Run curl(Path sock, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-s", "-i", "--unix-socket", sock.toString()));
        cmd.addAll(List.of(args));
        return Launcher.run(cmd);
    }

    static String body(Run r) {
        return r.out().substring(r.out().indexOf("\r\n\r\n") + 4);
    }

    @Test
    void restSocketServesUpstreamsRoutes() throws Exception {
        Path sock = Path.of(shadowOf(master.mountPoint), "sock");
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        long pid = master.process().pid();

        Run p = curl(sock, "http://x/pid").ok();
        assertTrue(p.out().startsWith("HTTP/1.1 200 OK\r\n"), p.out());
        assertTrue(p.out().contains("\r\nContent-Type: text/yaml\r\n"), p.out());
        assertTrue(p.out().contains("\r\nConnection: close\r\n"), p.out());
        assertEquals("pid: " + pid + "\n", body(p));
        assertEquals("pid: " + pid + "\n", body(curl(sock, "-X", "POST", "http://x/pid").ok()));
        // the other mount's socket answers for its own server
        Path sock2 = Path.of(shadowOf(second.mountPoint), "sock");
        assertEquals("pid: " + second.process().pid() + "\n", body(curl(sock2, "http://x/pid").ok()));

        String stats = body(curl(sock, "http://x/icache_stats").ok());
        assertTrue(stats.matches("icache_stats:\n  search_count:   \\d+\n  nodes_scanned:  \\d+\n  search_fail_ct: \\d+\n"), stats);
        assertEquals("icache: dumping icache to syslog\n", body(curl(sock, "http://x/icache_dump").ok()));
        assertTrue(body(curl(sock, "http://x/inodes").ok()).startsWith("inodes:\n"));

        Run level = curl(sock, "http://x/log_level").ok();
        assertTrue(level.out().contains("Content-Type: text/plain"), level.out());
        assertEquals("5\n", body(level));
        assertEquals("log level set to 3 (from 5)\n", body(curl(sock, "-X", "POST", "-d", "3", "http://x/log_level").ok()));
        assertEquals("3\n", body(curl(sock, "http://x/log_level").ok()));
        assertEquals("log level set to 0 (from 3)\n", body(curl(sock, "-X", "PUT", "-d", "level=3", "http://x/log_level").ok()));
        Run failed = curl(sock, "-X", "POST", "-d", "9", "http://x/log_level").ok();
        assertTrue(failed.out().startsWith("HTTP/1.1 200 "), failed.out());
        assertEquals("Failed to set log level to 9\n", body(failed));
        assertEquals("log level set to 5 (from 0)\n", body(curl(sock, "-X", "POST", "-d", "5", "http://x/log_level").ok()));
        assertTrue(curl(sock, "-X", "DELETE", "http://x/log_level").ok().out().startsWith("HTTP/1.1 405 Method Not Allowed\r\n"));

        Run nf = curl(sock, "http://x/nope").ok();
        assertTrue(nf.out().startsWith("HTTP/1.1 404 Not Found\r\n"), nf.out());
        assertEquals("Not Found", body(nf));
        assertTrue(curl(sock, "http://x/pid/").ok().out().startsWith("HTTP/1.1 404 "));

        // an unparsable request
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
            c.write(ByteBuffer.wrap("garbage\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (c.read(in) > 0) {
                // until the server closes
            }
            String reply = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
            assertTrue(reply.startsWith("HTTP/1.1 400 Bad Request\r\n"), reply);
            assertTrue(reply.contains("Connection: close\r\n"), reply);
        }

        // someone who is neither root nor the server's user is refused by SO_PEERCRED, whatever the socket's mode
        Run nobody = sh("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "curl", "-s", "-i",
                "--unix-socket", sock.toString(), "http://x/log_level", "-X", "POST", "-d", "1");
        assertTrue(nobody.out().startsWith("HTTP/1.1 403 Forbidden\r\n"), nobody.out() + nobody.err());
        assertEquals("5\n", body(curl(sock, "http://x/log_level").ok()));
    }

    static Run fused(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER,
                Daemon.HOME.resolve("bin/famfs_fused").toString()));
        cmd.addAll(List.of(args));
        return Launcher.run(cmd);
    }

    @Test
    void famfsFusedExits() throws Exception {
        Run help = fused("--help").ok();
        assertTrue(help.out().contains("famfs_fused"), help.out());
        assertTrue(fused("-h").ok().out().contains("-o"));
        assertTrue(fused("-V").ok().out().contains("famfs-java"));
        assertTrue(fused("--version").ok().out().contains("famfs-java"));
        Path mnt = Files.createTempDirectory("famfs-fused-x");
        Path shadow = Files.createTempDirectory("famfs-fused-sh");
        try {
            Files.createDirectory(shadow.resolve("root"));
            // no mount point, no source: 1
            assertEquals(1, fused("-o", "source=" + shadow + ",daxdev=" + dev).exit());
            assertEquals(1, fused("-o", "daxdev=" + dev, mnt.toString()).exit());
            assertEquals(1, fused(mnt.toString()).exit());
            // the shadow root must exist
            assertEquals(1, fused("-o", "source=" + mnt + ",daxdev=" + dev, mnt.toString()).exit());
            // bad mount point
            assertEquals(1, fused("-o", "shadow=" + shadow + ",daxdev=" + dev, mnt.resolve("nope").toString()).exit());
            // negative timeout
            assertEquals(1, fused("-o", "shadow=" + shadow + ",daxdev=" + dev + ",timeout=-1", mnt.toString()).exit());
            // an unknown -o option: 0, nothing mounted
            Run unknown = fused("-o", "shadow=" + shadow + ",daxdev=" + dev + ",bogus=1", mnt.toString());
            assertEquals(0, unknown.exit(), unknown.err());
            assertTrue(unknown.err().contains("bogus"), unknown.err());
            assertFalse(MountTable.isMounted(mnt));
            // an unknown flag
            assertEquals(1, fused("--bogus", mnt.toString()).exit());
        } finally {
            Files.deleteIfExists(shadow.resolve("root"));
            Files.deleteIfExists(shadow);
            Files.deleteIfExists(mnt);
        }
    }

    @Test
    void famfsFusedMountServesAFile() throws Exception {
        Path img = Devices.create("fused", 8 * Devices.GIB);
        Path mnt = Files.createTempDirectory("famfs-fused-mnt");
        Path shadow = Files.createTempDirectory("famfs-fused-shadow");
        try {
            Launcher.famfs(Devices.MASTER, "mkfs", img.toString()).ok();
            Launcher.famfs(Devices.MASTER, "creat", "--device", img.toString(), "-s", "5m", "-r", "-S", "21", "data").ok();
            // the way a user moves to upstream's daemon: the shadow tree from the device, then famfs_fused
            Launcher.famfs(Devices.MASTER, "logplay", "--shadow", shadow.toString(), "--daxdev", img.toString()).ok();
            Run up = Launcher.run(List.of("env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER,
                    "QUARKUS_HTTP_PORT=" + Daemon.freePort(), Daemon.HOME.resolve("bin/famfs_fused").toString(),
                    "-o", "source=" + shadow + ",daxdev=" + img + ",timeout=2,allow_other,default_permissions,flock",
                    mnt.toString()));
            assertEquals(0, up.exit(), up.out() + up.err());
            assertTrue(MountTable.isMounted(mnt));
            assertEquals(5L << 20, Files.size(mnt.resolve("data")));
            Launcher.famfs(Devices.MASTER, "verify", "-S", "21", "-f", mnt + "/data").ok();
            assertTrue(Files.readString(Path.of(shadowOf(mnt), "root", "data")).contains("  path: data\n"));
            assertTrue(Files.readString(Path.of("/proc/mounts")).contains(mnt + " fuse.famfs "));
        } finally {
            if (MountTable.isMounted(mnt)) {
                Launcher.famfs(Devices.MASTER, "umount", mnt.toString()).ok();
            }
            sh("rm", "-rf", shadow.toString());
            Files.deleteIfExists(mnt);
            Devices.delete(img);
        }
    }
}
