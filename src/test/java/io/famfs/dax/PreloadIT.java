package io.famfs.dax;

import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * libfamfs-dax.so (docs/direct-access.md, "The preload library") under programs nobody
 * here wrote (Python's mmap module, numpy.memmap) and under native/dax_probe.c, on a real
 * FUSE mount of a file-backed device. "Direct" is read off /proc/PID/maps: the device
 * file, not the FUSE file, is behind the mapping. Every case runs twice: with the page
 * granule a regular-file device gets, and with devdax's 2 MiB granule forced
 * (FAMFS_DAX_GRANULE), so the alignment, rounding and deferred-unmap paths run here too.
 */
class PreloadIT {
    private static final Path NATIVE = Daemon.HOME.resolve("target/native");
    private static final Path LIB = NATIVE.resolve("libfamfs-dax.so");
    private static final Path PROBE = NATIVE.resolve("dax-probe");
    private static final Path RESOURCES = Daemon.HOME.resolve("src/test/resources/dax");
    private static final String PYTHON = "/usr/bin/python3";
    private static final String TWO_MIB = "2097152";

    private static Path dev;
    private static Daemon mount;
    private static Path simple;
    private static Path interleaved;
    private static Path small;
    private static Path writable;

    @BeforeAll
    static void mountWithFiles() throws Exception {
        assertTrue(Files.isRegularFile(LIB), LIB + " is missing: the build makes it (make -C native)");
        dev = Devices.create("dax", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
        mount = Daemon.mount(dev, Devices.MASTER);
        simple = mount.mountPoint.resolve("simple");
        interleaved = mount.mountPoint.resolve("interleaved");
        small = mount.mountPoint.resolve("small");
        writable = mount.mountPoint.resolve("writable");
        Launcher.famfs(Devices.MASTER, "creat", "-s", "9m", "-r", "-S", "7", simple.toString()).ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "20m", "-N", "2", "-B", "2", "-r", "-S", "8",
                interleaved.toString()).ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "5000", "-r", "-S", "9", small.toString()).ok();
        Launcher.famfs(Devices.MASTER, "creat", "-s", "12m", "-N", "2", "-B", "2", "-r", "-S", "10",
                writable.toString()).ok();
        assertTrue(xattr(interleaved, "famfs.fmap").contains("interleaved 2 "), xattr(interleaved, "famfs.fmap"));
    }

    @AfterAll
    static void unmount() throws Exception {
        if (mount != null) {
            mount.close();
        }
        Devices.delete(dev);
    }

    private static String xattr(Path p, String name) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        ByteBuffer b = ByteBuffer.allocate(65536); // XATTR_SIZE_MAX: the value may change between a size() and a read()
        v.read(name, b);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static boolean hasXattr(Path p, String name) throws IOException {
        return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class).list().contains(name);
    }

    /** {@code env [ENV...] LD_PRELOAD=lib ARGS...}; granule "" for the device's own. */
    private static Run preloaded(String granule, List<String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "LD_PRELOAD=" + LIB, "FAMFS_DAX_GRANULE=" + granule));
        cmd.addAll(env);
        cmd.addAll(List.of(args));
        return Launcher.run(cmd);
    }

    private static Run probe(String granule, String... args) {
        List<String> a = new ArrayList<>(List.of(PROBE.toString()));
        a.addAll(List.of(args));
        return preloaded(granule, List.of(), a.toArray(String[]::new)).ok();
    }

    /** The file behind each mapping the probe checked. */
    private static List<String> backings(Run r) {
        return r.out().lines().filter(l -> l.startsWith("backing ")).map(l -> l.split(" ", 3)[2].strip()).toList();
    }

    private static void assertDirect(Run r) {
        List<String> b = backings(r);
        assertFalse(b.isEmpty(), r.out());
        b.forEach(x -> assertEquals(dev.toString(), x, r.out() + r.err()));
    }

    private static void assertThroughFuse(Run r, Path file) {
        List<String> b = backings(r);
        assertFalse(b.isEmpty(), r.out());
        b.forEach(x -> assertEquals(file.toString(), x, r.out() + r.err()));
    }

    private static void assumeNumpy() {
        Run r = Launcher.run(List.of(PYTHON, "-c", "import numpy"));
        Assumptions.assumeTrue(r.exit() == 0, "Debian python3-numpy is not installed: " + r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TWO_MIB})
    void pythonMmapAndNumpyMemmapReadTheDeviceItself(String granule) throws Exception {
        assumeNumpy();
        // whole files, and offsets and lengths that are not multiples of 2 MiB
        String[][] cases = {{"simple", "0", "9437184"}, {"simple", "12288", "5000"}, {"simple", "2101248", "4194304"},
                {"interleaved", "0", "20971520"}, {"interleaved", "2093056", "8192"},
                {"interleaved", "2101248", "12582912"}, {"small", "0", "5000"}};
        for (String[] c : cases) {
            Path file = mount.mountPoint.resolve(c[0]);
            Run r = preloaded(granule, List.of(), PYTHON, RESOURCES.resolve("mmap_check.py").toString(),
                    file.toString(), c[1], c[2]).ok();
            String what = String.join(" ", c) + " granule " + granule + "\n" + r.out() + r.err();
            List<String> lines = r.out().lines().toList();
            assertEquals(7, lines.size(), what);
            String plainSum = lines.get(6).substring("plain ".length());
            for (String l : lines.subList(0, 6)) {
                assertTrue(l.contains(" match=True"), what);
                // copy-on-write maps go through FUSE, everything else straight to the device
                boolean cow = l.startsWith("mmap-copy") || l.startsWith("memmap-c");
                assertTrue(l.contains(" backing=" + (cow ? file : dev) + " "), what);
                if (l.startsWith("memmap")) {
                    assertTrue(l.endsWith(plainSum), what);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TWO_MIB})
    void readsMatchPreadAtAnyPageAlignedOffset(String granule) {
        for (Path f : List.of(simple, interleaved, small)) {
            for (String[] c : new String[][] {{"0", "9437184"}, {"4096", "5000"}, {"2093056", "8192"}, {"3149824", "4194304"}}) {
                if (Long.parseLong(c[0]) >= 5000 && f == small) {
                    continue;
                }
                for (String kind : List.of("shared", "private")) {
                    Run r = probe(granule, "read", f.toString(), c[0], c[1], kind);
                    assertDirect(r);
                    assertTrue(r.out().contains("ok read") && r.out().contains("ok unmapped"), r.out());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TWO_MIB})
    void partialMunmapKeepsTheRestAndReleasesEverythingAtTheEnd(String granule) {
        for (Path f : List.of(simple, interleaved)) {
            Run r = probe(granule, "partial", f.toString());
            assertDirect(r);
            assertTrue(r.out().contains("ok before the hole") && r.out().contains("ok after the hole")
                    && r.out().contains("ok all unmapped"), r.out());
            // a regular-file device unmaps pages as asked; devdax's granule keeps a page
            // whose 2 MiB still holds live bytes until those are unmapped too
            String state = granule.isEmpty() ? "unmapped" : "mapped";
            assertTrue(r.out().contains("first page " + state) && r.out().contains("hole " + state), r.out());
            // either way msync answers for the hole as the kernel does for a plain file's
            assertTrue(r.out().contains("msync of the hole: Cannot allocate memory")
                    && r.out().contains("ok msync of the held range"), r.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TWO_MIB})
    void aStoreThroughADirectMappingIsSyncedAndReadBackThroughFuse(String granule) throws Exception {
        // devdax refuses msync (no fsync on a character device): the library answers it
        // itself there, flushing the range's cache lines (forced here by the 2 MiB granule)
        Path f = mount.mountPoint.resolve("synced-" + (granule.isEmpty() ? "page" : "2m"));
        Launcher.famfs(Devices.MASTER, "creat", "-s", "6m", f.toString()).ok();
        long at = 2 * 1048576 + 4097;
        String text = "stamp-" + granule + "-" + System.nanoTime();
        Run r = preloaded(granule, List.of("FAMFS_DAX_DEBUG=1"), PROBE.toString(), "store", f.toString(),
                Long.toString(at), text).ok();
        assertDirect(r);
        assertTrue(r.out().contains("ok stored " + text.length() + " bytes"), r.out());
        // under devdax's rules the library answers the msync; on a regular-file device the kernel does
        assertEquals(!granule.isEmpty(), r.err().contains("of a direct mapping: done"), r.err());
        try (var ch = java.nio.channels.FileChannel.open(dev)) {
            long devAt = -1, skip = at;
            for (String l : xattr(f, "famfs.fmap").lines().filter(l -> l.startsWith("extent ")).toList()) {
                long off = Long.parseLong(l.split(" ")[1]), len = Long.parseLong(l.split(" ")[2]);
                if (skip < len) {
                    devAt = off + skip;
                    break;
                }
                skip -= len;
            }
            ByteBuffer b = ByteBuffer.allocate(text.length());
            ch.read(b, devAt);
            assertEquals(text, new String(b.array(), StandardCharsets.US_ASCII), "the device bytes");
        }
        Run w = Launcher.run(List.of(PROBE.toString(), "watch", f.toString(), Long.toString(at), text, "0")).ok();
        assertTrue(w.out().contains("ok seen"), "a fresh FUSE mapping reads the store: " + w.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TWO_MIB})
    void aForkedChildSharesTheMapping(String granule) {
        Run r = probe(granule, "fork", writable.toString());
        assertDirect(r);
        assertTrue(r.out().contains("ok the child's write is seen"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", TWO_MIB})
    void privateWritableMappingsFallBackToFuse(String granule) {
        Run r = probe(granule, "cow", simple.toString());
        assertThroughFuse(r, simple);
        assertTrue(r.out().contains("ok private write stayed private"), r.out());
        assertTrue(r.err().contains("libfamfs-dax: ") && r.err().contains("MAP_PRIVATE with PROT_WRITE"), r.err());
    }

    @Test
    void mapFixedGoesDirectWithPagesAndFallsBackWithTwoMiB() {
        assertDirect(probe("", "fixed", simple.toString(), "8192"));
        Run r = probe(TWO_MIB, "fixed", simple.toString(), "8192");
        assertThroughFuse(r, simple);
        assertTrue(r.out().contains("ok fixed"), r.out());
    }

    @Test
    void pastTheEndReadsTheLastGranuleThenFaultsAsAPlainFile() {
        Run r = probe("", "eof", small.toString());
        assertDirect(r);
        assertTrue(r.out().contains("past EOF in the last page: signal 0"), r.out());
        assertTrue(r.out().contains("the page after EOF: signal 7"), r.out()); // SIGBUS, as a plain file
        assertTrue(r.out().contains("far past EOF: signal 7"), r.out());
        // 9 MiB file: device bytes up to its 10 MiB granule end, SIGBUS beyond
        Run g = probe(TWO_MIB, "eof", simple.toString());
        assertDirect(g);
        assertTrue(g.out().contains("the page after EOF: signal 0") && g.out().contains("far past EOF: signal 7"), g.out());
        // the same program without the library: what a plain FUSE file does
        Run plain = Launcher.run(List.of(PROBE.toString(), "eof", small.toString())).ok();
        assertThroughFuse(plain, small);
        assertTrue(plain.out().contains("the page after EOF: signal 7"), plain.out());
    }

    @Test
    void mremapOfADirectMappingIsRefused() {
        Run r = probe("", "mremap", simple.toString());
        assertTrue(r.out().contains("mremap Invalid argument"), r.out());
    }

    @Test
    void famfsDaxZeroDisablesTheLibrary() throws Exception {
        Run r = preloaded("", List.of("FAMFS_DAX=0"), PROBE.toString(), "read", simple.toString(), "0", "9437184", "shared").ok();
        assertThroughFuse(r, simple);
        assertEquals("", r.err());
        assumeNumpy();
        Run py = preloaded("", List.of("FAMFS_DAX=0"), PYTHON, RESOURCES.resolve("mmap_check.py").toString(),
                interleaved.toString(), "4096", "8192").ok();
        assertFalse(py.out().contains(dev.toString()), py.out());
        assertEquals(6, py.out().lines().filter(l -> l.contains("backing=" + interleaved + " ") && l.contains("match=True")).count(),
                py.out());
    }

    @Test
    void filesOutsideFamfsAndAnonymousMemoryAreUntouched() throws Exception {
        Path plain = Files.createTempFile("famfs-dax-plain", ".bin");
        try {
            Files.write(plain, new byte[3 * 4096 + 17]);
            Run r = preloaded("", List.of("FAMFS_DAX_DEBUG=1"), PROBE.toString(), "read", plain.toString(), "0", "12305", "shared").ok();
            assertThroughFuse(r, plain);
            assertFalse(r.err().contains("direct"), r.err());
        } finally {
            Files.deleteIfExists(plain);
        }
        // a program that maps nothing from famfs runs as before
        assertEquals("ok\n", preloaded("", List.of(), PYTHON, "-c", "import mmap; m = mmap.mmap(-1, 1 << 22); print('ok')").ok().out());
    }

    // ---------------------------------------------------------------- broker

    private static List<String> asNobody(List<String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                "env", "LD_PRELOAD=" + LIB));
        cmd.addAll(env);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void assumeDeviceClosedToNobody() {
        Run r = Launcher.run(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                "sh", "-c", "test -r " + dev + " || echo closed"));
        Assumptions.assumeTrue(r.out().contains("closed"), "the device is readable by nobody: the broker is never asked");
    }

    /** The client side against a stand-in broker (src/test/resources/dax/stand_in_broker.py). */
    @Test
    void aUserWhoCannotOpenTheDeviceGetsItFromTheBroker() throws Exception {
        assumeDeviceClosedToNobody();
        Path sock = Files.createTempDirectory("famfs-dax-broker").resolve("broker.sock");
        Files.setPosixFilePermissions(sock.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String refuse : List.of("", "13")) {
            List<String> cmd = new ArrayList<>(List.of(PYTHON, RESOURCES.resolve("stand_in_broker.py").toString(),
                    sock.toString(), dev.toString()));
            if (!refuse.isEmpty()) {
                cmd.add(refuse);
            }
            Process broker = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try {
                String first = new String(broker.getInputStream().readNBytes("listening\n".length()), StandardCharsets.UTF_8);
                assertEquals("listening\n", first);
                Run r = Launcher.run(asNobody(List.of("FAMFS_DAX_BROKER=" + sock, "FAMFS_DAX_DEBUG=1"),
                        PROBE.toString(), "read", interleaved.toString(), "4096", "8192000", "shared")).ok();
                if (refuse.isEmpty()) {
                    assertDirect(r);
                    assertTrue(r.err().contains("device from broker"), r.err());
                } else {
                    assertThroughFuse(r, interleaved);
                    assertTrue(r.err().contains("refused") && r.err().contains("the broker did not grant the device"), r.err());
                }
            } finally {
                broker.destroy();
                broker.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Files.deleteIfExists(sock);
        Files.deleteIfExists(sock.getParent());
    }

    /** The mount's own broker (docs/direct-access.md), once mounts name it in user.famfs.broker. */
    @Test
    void theMountsBrokerGrantsReadAndRefusesWriteByMode() throws Exception {
        Assumptions.assumeTrue(hasXattr(simple, "famfs.broker"),
                "this build's mount names no broker (no user.famfs.broker xattr): broker tests skipped");
        assumeDeviceClosedToNobody();
        Run r = Launcher.run(asNobody(List.of("FAMFS_DAX_DEBUG=1"), PROBE.toString(), "read", simple.toString(), "4096",
                "5000", "shared")).ok();
        assertDirect(r);
        assertTrue(r.err().contains("device from broker"), r.err());
        Run il = Launcher.run(asNobody(List.of(), PROBE.toString(), "partial", interleaved.toString())).ok();
        assertDirect(il);
        // nobody may not write root's 0644 file: it cannot even open it O_RDWR
        Run w = Launcher.run(asNobody(List.of(), PROBE.toString(), "fork", writable.toString()));
        assertTrue(w.exit() != 0, w.out());
        // a file nobody owns: the broker grants the device read/write, and stores are shared
        Path owned = mount.mountPoint.resolve("owned-by-nobody");
        if (!Files.exists(owned)) {
            Launcher.famfs(Devices.MASTER, "creat", "-s", "6m", "-N", "2", "-B", "2", "-r", "-S", "11",
                    "-u", "65534", "-g", "65534", owned.toString()).ok();
        }
        Run rw = Launcher.run(asNobody(List.of("FAMFS_DAX_DEBUG=1"), PROBE.toString(), "fork", owned.toString())).ok();
        assertDirect(rw);
        assertTrue(rw.err().contains("device from broker") && rw.err().contains("(rw)"), rw.err());
        assertTrue(rw.out().contains("ok the child's write is seen"), rw.out());
        Launcher.famfs(Devices.MASTER, "verify", "-S", "11", "-f", owned.toString()).ok();
    }

    /**
     * A mount made at a symlinked path: the kernel lists it (and /proc/self/fd links name
     * its files) under the link's target, so the mount server, its broker, the Java API
     * and the CLI must all know it by that real path, or direct access falls back to FUSE.
     */
    @Test
    void aMountPointReachedThroughASymlinkIsMappedDirectly() throws Exception {
        assumeDeviceClosedToNobody();
        Path base = Files.createTempDirectory("famfs-dax-symlink");
        Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path real = Files.createDirectory(base.resolve("real"));
        Path link = Files.createSymbolicLink(base.resolve("link"), Path.of("real"));
        Path above = Files.createSymbolicLink(base.resolve("above"), Path.of("."));   // a symlink higher up
        // a second mount of the device, as a client, at the symlink
        try (Daemon ignored = Daemon.mountAt(dev, link, Devices.CLIENT)) {
            Path file = link.resolve("simple");
            assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .anyMatch(l -> l.contains(" " + real + " ") && l.contains(" - fuse.famfs ")), "not mounted at " + real);
            assertTrue(xattr(file, "famfs.broker").startsWith("/"), xattr(file, "famfs.broker"));
            // the preload (unprivileged: the device comes from this mount's broker), by the
            // link, by a path with a symlink above the mount, and by the real path
            for (Path p : List.of(file, above.resolve("link/simple"), real.resolve("simple"))) {
                Run r = Launcher.run(asNobody(List.of("FAMFS_DAX_DEBUG=1"), PROBE.toString(), "read", p.toString(),
                        "4096", "5000", "shared")).ok();
                assertDirect(r);
                assertTrue(r.err().contains("device from broker"), p + ": " + r.err());
                assertFalse(r.err().contains("through FUSE"), p + ": " + r.err());
            }
            // the Java API, made to ask the broker, by the link
            byte[] viaFuse = Files.readAllBytes(file);
            try (DaxFile f = DaxFile.map(file, false, DaxFile.Access.BROKER)) {
                assertTrue(f.viaBroker());
                assertEquals(java.util.Arrays.hashCode(viaFuse),
                        java.util.Arrays.hashCode(f.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            }
            // the broker itself resolves a request naming the file by a symlinked path
            Path broker = Path.of(xattr(file, "famfs.broker"));
            for (Path p : List.of(file, above.resolve("link/simple"))) {
                DaxFile.Grant g = DaxFile.ask(broker, p.toString(), false);
                io.famfs.device.Libc.close(g.fd());
                assertTrue(g.fmap().startsWith("famfs-fmap 1\n"), g.fmap());
            }
            DaxFile.DaxException none = org.junit.jupiter.api.Assertions.assertThrows(DaxFile.DaxException.class,
                    () -> DaxFile.ask(broker, link.resolve("no-such-file").toString(), false));
            assertEquals(2, none.errno(), none.getMessage());
            // the CLI finds the mount by the link too
            assertTrue(Launcher.famfs(Devices.CLIENT, "getmap", file.toString()).ok().out().contains("simple"));
        }
        // unmounted by the link (fusermount itself refuses a symlink): nothing is left mounted
        assertFalse(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(" " + real + " ")),
                real + " is still mounted");
        Files.deleteIfExists(above);
        Files.deleteIfExists(real);
        Files.deleteIfExists(base);
    }
}
