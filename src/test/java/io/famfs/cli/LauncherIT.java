package io.famfs.cli;

import io.famfs.testing.Devices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged application through its launchers, as users and scripts call it:
 * separate processes, real exit statuses, nothing but one line on stderr for errors.
 */
class LauncherIT {
    private static final Path HOME = Path.of(System.getProperty("famfs.home", ".")).toAbsolutePath();
    private Path dev;

    record Result(int exit, String out, String err) {
    }

    static Result run(List<String> env, String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        full.add("env");
        full.addAll(env);
        full.addAll(List.of(cmd));
        ProcessBuilder pb = new ProcessBuilder(full);
        Path out = Files.createTempFile("famfs-out", ".txt");
        Path err = Files.createTempFile("famfs-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    static Result famfs(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = HOME.resolve("bin/famfs").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        return run(List.of("FAMFS_SYSTEM_UUID=" + Devices.MASTER), cmd);
    }

    @BeforeEach
    void device() {
        dev = Devices.create("launcher", 8 * Devices.GIB);
    }

    @AfterEach
    void cleanup() {
        Devices.delete(dev);
    }

    @Test
    void mkfsLauncherAndOneShotCommands() throws Exception {
        Result mkfs = run(List.of("FAMFS_SYSTEM_UUID=" + Devices.MASTER), HOME.resolve("bin/mkfs.famfs").toString(),
                dev.toString());
        assertEquals(0, mkfs.exit(), mkfs.err());
        assertTrue(mkfs.out().contains("famfs file system created"), mkfs.out());
        Result creat = famfs("creat", "--device", dev.toString(), "-s", "3m", "-r", "-S", "42", "f");
        assertEquals(0, creat.exit(), creat.err());
        assertEquals("", creat.err(), "no log noise on stderr");
        Result verify = famfs("verify", "--device", dev.toString(), "-S", "42", "-f", "f");
        assertEquals(0, verify.exit(), verify.err());
        Result version = famfs("--version");
        assertTrue(version.out().contains("superblock version 48"), version.out());
    }

    @Test
    void errorsAreOneLineWithoutStackTraces() throws Exception {
        for (String[] args : new String[][] {
                {"fsck", dev.toString()},
                {"fsck", "/no/such/dev"},
                {"creat", "--device", dev.toString(), "-s", "1m", "x"},
                {"mkdir", "--device", dev.toString(), "../x"},
                {"creat", "--bogus"},
        }) {
            Result r = famfs(args);
            assertTrue(r.exit() != 0, String.join(" ", args));
            assertEquals(1, r.err().strip().lines().count(), "one line for " + String.join(" ", args) + ":\n" + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
            assertTrue(r.err().startsWith("famfs"), r.err());
        }
    }

    @Test
    void processesAppendingAtOnceAreSerialisedByTheHostLock() throws Exception {
        assertEquals(0, famfs("mkfs", dev.toString()).exit());
        int procs = 4;
        List<Process> running = new ArrayList<>();
        for (int p = 0; p < procs; p++) {
            List<String> cmd = new ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER,
                    HOME.resolve("bin/famfs").toString(), "creat", "--device", dev.toString()));
            for (int i = 0; i < 50; i++) {
                cmd.add("-M");
                cmd.add("p" + p + "-" + i + ",1m");
            }
            running.add(new ProcessBuilder(cmd).inheritIO().start());
        }
        for (Process p : running) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        }
        Result fsck = famfs("fsck", "--json", dev.toString());
        assertEquals(0, fsck.exit(), fsck.out() + fsck.err());
        assertTrue(fsck.out().contains("\"files\" : 200"), fsck.out());
        assertTrue(fsck.out().contains("\"collisions\" : 0"), fsck.out());
    }

    @Test
    void permissionDeniedIsReportedAsSuch() throws Exception {
        assertEquals(0, famfs("mkfs", dev.toString()).exit());
        Files.setPosixFilePermissions(dev, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Result r = run(List.of(), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER, HOME.resolve("bin/famfs").toString(), "fsck", dev.toString());
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("permission denied"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void mountRunsInTheBackgroundAndEndsOnUmountOrSigterm() throws Exception {
        assertEquals(0, famfs("mkfs", dev.toString()).exit());
        Path mp = Files.createTempDirectory("famfs-mnt");
        try {
            Result mount = famfs("mount", dev.toString(), mp.toString());
            assertEquals(0, mount.exit(), mount.err());
            assertTrue(io.famfs.fuse.MountTable.isMounted(mp));
            Result again = famfs("mount", dev.toString(), mp.toString());
            assertTrue(again.exit() != 0 && again.err().contains("already mounted"), again.err());
            Result creat = famfs("creat", "-s", "2m", "-r", "-S", "4", mp.resolve("f").toString());
            assertEquals(0, creat.exit(), creat.err());
            assertTrue(Files.exists(mp.resolve("f")));
            ProcessHandle server = serverOf(mp);
            Result umount = famfs("umount", mp.toString());
            assertEquals(0, umount.exit(), umount.err());
            assertTrue(server.onExit().get(30, TimeUnit.SECONDS) != null);
            assertFalse(io.famfs.fuse.MountTable.isMounted(mp));

            // SIGTERM unmounts
            assertEquals(0, famfs("mount", dev.toString(), mp.toString()).exit());
            ProcessHandle second = serverOf(mp);
            assertTrue(second.destroy()); // SIGTERM
            second.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(io.famfs.fuse.MountTable.isMounted(mp));
            assertTrue(Files.list(mp).findAny().isEmpty(), "the mount point is an empty directory again");

            // a bad device is refused with one line, and nothing is mounted
            Path blank = Devices.create("blank", 4 * Devices.GIB);
            Result bad = famfs("mount", blank.toString(), mp.toString());
            Devices.delete(blank);
            assertTrue(bad.exit() != 0);
            assertTrue(bad.err().contains("no famfs superblock"), bad.err());
            assertEquals(1, bad.err().strip().lines().count(), bad.err());
            assertFalse(io.famfs.fuse.MountTable.isMounted(mp));
        } finally {
            if (io.famfs.fuse.MountTable.isMounted(mp)) {
                io.famfs.fuse.Unmount.run(mp);
            }
            Files.deleteIfExists(mp);
        }
    }

    /** The background server process serving {@code mp}. */
    private static ProcessHandle serverOf(Path mp) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains("--foreground")
                        && List.of(a).contains(mp.toString())).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("no server process for " + mp));
    }
}
