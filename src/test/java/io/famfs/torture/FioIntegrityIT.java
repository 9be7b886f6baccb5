package io.famfs.torture;

import io.famfs.testing.Daemon;

import io.famfs.log.Famfs;
import io.famfs.log.Replayer;
import io.famfs.namespace.FileMapper;
import io.famfs.namespace.Namespace;
import io.famfs.testing.Devices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Torture, part 2: data integrity through the mount, checked by a program nobody here
 * wrote. On the master's mount fio writes pre-allocated famfs files at random offsets
 * (psync and mmap engines, crc32c-verified blocks, read back at once and again with
 * --verify_only); then a second mount of the same device, as a client with its own
 * identity and API port, reads every block back through its own FUSE server and page
 * cache, and fio checks each block's header and CRC there. A byte changed behind the
 * mounts' back must then make the client's verification fail.
 */
class FioIntegrityIT {
    private static final long MIB = 1L << 20;

    /** A famfs file and the fio engine that writes it. */
    record Target(String name, long size, String engine, String[] creatOptions) {
    }

    private static final List<Target> TARGETS = List.of(
            new Target("psync.dat", 64 * MIB, "psync", new String[0]),
            new Target("mmap.dat", 32 * MIB, "mmap", new String[0]),
            // interleaved: 2 strips of 2 MiB chunks over 4 buckets; a size that ends inside an alloc unit
            new Target("striped.dat", 24 * MIB + 12288, "psync", new String[] {"-N", "2", "-B", "4"}),
            new Target("mmap-tail.dat", 6 * MIB + 4096, "mmap", new String[0]));

    private Path dev;
    private Daemon master;
    private Daemon client;

    @BeforeEach
    void device() throws Exception {
        assertTrue(onPath("fio"), "fio is not installed (Debian package fio; bin/setup installs it)");
        dev = Devices.create("fio", 8 * Devices.GIB);
        famfs(Devices.MASTER, "mkfs", dev.toString());
    }

    @AfterEach
    void cleanup() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (master != null) {
                master.close();
            }
            Devices.delete(dev);
        }
    }

    @Test
    void fioWritesOnTheMasterVerifyOnTheClient() throws Exception {
        master = Daemon.mount(dev, Devices.MASTER);
        for (Target t : TARGETS) {
            List<String> args = new ArrayList<>(List.of("creat", "-s", Long.toString(t.size())));
            args.addAll(List.of(t.creatOptions()));
            args.add(master.mountPoint.resolve(t.name()).toString());
            famfs(Devices.MASTER, args.toArray(new String[0]));
            assertEquals(t.size(), Files.size(master.mountPoint.resolve(t.name())), t.name());
        }
        // write every block once at a random offset, then read all back and check (do_verify)
        for (Target t : TARGETS) {
            Fio w = fio(master.mountPoint.resolve(t.name()), t, "--rw=randwrite", "--ioengine=" + t.engine(),
                    "--do_verify=1");
            assertEquals(0, w.exit(), "fio write+verify of " + t.name() + " on the master:\n" + w.output());
        }
        // the same workload again without writing: every block still holds what fio wrote
        for (Target t : TARGETS) {
            Fio v = fio(master.mountPoint.resolve(t.name()), t, "--rw=randwrite", "--ioengine=" + t.engine(),
                    "--verify_only");
            assertEquals(0, v.exit(), "fio --verify_only of " + t.name() + " on the master:\n" + v.output());
        }

        // a second mount of the same memory, as another node (its own identity and API port)
        client = Daemon.mount(dev, Devices.CLIENT);
        for (Target t : TARGETS) {
            Path onClient = client.mountPoint.resolve(t.name());
            assertEquals(t.size(), Files.size(onClient), t.name() + " on the client");
            // the client's files are read-only: what fio reads there, nothing on the client wrote
            assertThrows(IOException.class, () -> FileChannel.open(onClient, StandardOpenOption.WRITE).close(),
                    t.name() + " is writable on the client");
            for (String engine : List.of("psync", "mmap")) {
                Fio r = readVerify(onClient, t, engine);
                assertEquals(0, r.exit(), "fio read verification of " + t.name() + " on the client (" + engine + "):\n"
                        + r.output());
            }
            assertEquals(sha256(master.mountPoint.resolve(t.name())), sha256(onClient),
                    t.name() + ": the client reads other bytes than the master");
        }

        // the check can fail: change one byte of a block behind both mounts, straight on the device
        Target victim = TARGETS.get(2);
        long fileOffset = 5 * MIB + 4096 * 3 + 100;
        long devOffset = deviceOffset(victim.name(), fileOffset);
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, devOffset);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, devOffset);
        }
        Fio bad = readVerify(client.mountPoint.resolve(victim.name()), victim, "psync");
        assertNotEquals(0, bad.exit(), "fio did not notice a corrupted block:\n" + bad.output());
        assertTrue(bad.output().contains("verify") || bad.output().contains("bad"), bad.output());
        Fio others = readVerify(client.mountPoint.resolve(TARGETS.get(0).name()), TARGETS.get(0), "psync");
        assertEquals(0, others.exit(), "the other files are untouched:\n" + others.output());
    }

    // ---------------------------------------------------------------- helpers

    record Fio(int exit, String output) {
    }

    /** fio on a pre-allocated famfs file: never lay it out, never extend it. */
    static Fio fio(Path file, Target t, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=" + t.name(), "--filename=" + file,
                "--filesize=" + t.size(), "--size=" + t.size(), "--bs=4k", "--verify=crc32c", "--verify_fatal=1",
                "--fallocate=none", "--create_on_open=0", "--randrepeat=1", "--group_reporting",
                "--verify_state_save=0"));
        cmd.addAll(List.of(extra));
        // fio may still leave files in its working directory: give it a scratch one
        Path scratch = Files.createTempDirectory("famfs-fio");
        Process p = new ProcessBuilder(cmd).directory(scratch.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fio timed out: " + String.join(" ", cmd) + "\n" + out);
        }
        try (var left = Files.list(scratch)) {
            for (Path f : left.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(scratch);
        return new Fio(p.exitValue(), String.join(" ", cmd) + "\n" + out);
    }

    /** A read-only workload that checks every block's verify header (offset, length, crc32c). */
    static Fio readVerify(Path file, Target t, String engine) throws Exception {
        return fio(file, t, "--rw=randread", "--ioengine=" + engine, "--readonly");
    }

    /** Where byte {@code fileOffset} of a famfs file lives on the device, from its log entry. */
    private long deviceOffset(String name, long fileOffset) {
        try (Famfs fs = Famfs.open(dev, false)) {
            Replayer r = new Replayer(fs);
            r.replay();
            Namespace.File f = (Namespace.File) r.namespace().lookup(name);
            long[] at = {-1};
            new FileMapper(f.meta().fmap(), f.size()).map(fileOffset, 1, (devOff, len, delta) -> at[0] = devOff);
            assertTrue(at[0] > 0, "no device offset for " + name);
            return at[0];
        }
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static void famfs(String uuid, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + uuid,
                Daemon.HOME.resolve("bin/famfs").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("famfs " + String.join(" ", args) + " failed: " + out);
        }
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
