package io.famfs.cli;

import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream's smoke-script command lines through the packaged launchers ({@code bin/famfs},
 * {@code bin/mkfs.famfs}), as separate processes: the real exit statuses, and a mount
 * started with upstream's mount flags. (In-process cases: {@link UpstreamCliTest}.)
 */
class UpstreamCliIT {
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private Path dev;

    @BeforeEach
    void device() {
        dev = Devices.create("upstream-it", 4 * Devices.GIB);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) {
            c.close();
        }
        Devices.delete(dev);
    }

    private static Run mkfsFamfs(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER,
                Daemon.HOME.resolve("bin/mkfs.famfs").toString()));
        cmd.addAll(List.of(args));
        return Launcher.run(cmd);
    }

    private static Run famfs(String... args) {
        return Launcher.famfs(Devices.MASTER, args);
    }

    private static String field(String out, String key, int field) {
        return out.lines().filter(l -> l.contains(key)).findFirst()
                .map(l -> l.trim().split("\\s+")[field - 1]).orElseThrow(() -> new AssertionError("no " + key + " in\n" + out));
    }

    @Test
    void smokeScriptPreambleRuns() throws Exception {
        // scripts start with: mkfs.famfs --fuse -f -k DEV (no superblock yet), then mkfs
        Run killed = mkfsFamfs("--fuse", "-f", "-k", dev.toString()).ok();
        assertTrue(killed.out().contains("Famfs superblock killed"), killed.out());
        Run made = mkfsFamfs("--fuse", "-v", dev.toString()).ok();
        assertEquals(Long.toString(4 * Devices.GIB), field(made.out(), "devsize:", 2));
        mkfsFamfs("-vv", dev.toString()).oneLineError("already holds a famfs").expect(2);
        Run fsck = famfs("fsck", "-v", dev.toString()).ok();
        assertEquals("8388608", field(fsck.out(), "log_len", 2));
        assertEquals("", fsck.err(), "nothing on stderr");
        // help, as upstream: usage on stdout, status 0
        Run help = famfs("-?").ok();
        assertTrue(help.out().contains("mkmeta"), help.out());
        assertTrue(famfs("mount", "-?").ok().out().contains("Usage: famfs mount"));
        // v1 and both log readers: refused before anything happens, status 1
        Path mp = Files.createTempDirectory("famfs-upstream-never");
        try {
            famfs("mount", "--nofuse", dev.toString(), mp.toString()).oneLineError("does not support").expect(1);
            famfs("mount", "-rm", dev.toString(), mp.toString()).oneLineError("mutually exclusive").expect(1);
        } finally {
            Files.delete(mp);
        }
    }

    @Test
    void mountWithUpstreamFlagsAndTheCommandsScriptsRunOnIt() throws Exception {
        mkfsFamfs(dev.toString()).ok();
        Daemon m = Daemon.mount(dev, Devices.MASTER, "--fuse", "-r", "-vv");
        cleanup.add(m);
        Path mp = m.mountPoint;
        famfs("mkmeta", dev.toString()).ok();
        famfs("creat", "-vv", "-s", "3m", "-r", "-S", "8", mp.resolve("f").toString()).ok();
        famfs("verify", "-v", "-t", "0", "-S", "8", "-f", mp.resolve("f").toString()).ok();
        famfs("verify", "-t", "300", "-m", mp.resolve("f") + ",8").oneLineError("between 0 and 256").expect(1);
        famfs("flush", mp.resolve(".meta/.superblock").toString(), mp.resolve(".meta/.log").toString()).ok();
        Run chk = famfs("chkread", "-s", "-l", mp.resolve("f").toString()).ok();
        assertTrue(chk.out().contains("Read and mmap match"), chk.out());
        // the device is mounted: upstream's fsck refuses it with 16; the mount is checked
        famfs("fsck", dev.toString()).oneLineError("is mounted at").expect(16);
        Run viaMount = famfs("fsck", "-v", mp.toString()).ok();
        assertEquals("8388608", field(viaMount.out(), "log_len", 2));
        assertEquals("1", field(viaMount.out(), " files", 1));
    }

    @Test
    void mountWithFuseAndMmapFlags() throws Exception {
        mkfsFamfs(dev.toString()).ok();
        Daemon m = Daemon.mount(dev, Devices.MASTER, "-f", "-m", "-v");
        cleanup.add(m);
        famfs("check", "-q", m.mountPoint.toString()).ok();
    }
}
