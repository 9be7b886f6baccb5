package io.famfs.cli;

import io.famfs.format.Superblock;
import io.famfs.fuse.FuseServer;
import io.famfs.fuse.MountOptions;
import io.famfs.testing.Devices;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream's command lines (../shared/CLI.md) as its scripts write them: each is accepted
 * and means the same here, with upstream's exit status and the output lines scripts read.
 * In-process; the cases that need a mount use a real FUSE mount served by this JVM.
 */
class UpstreamCliTest {
    private static final UUID MASTER = UUID.fromString(Devices.MASTER);

    @TempDir
    Path tmp;
    private Path dev;
    private final List<FuseServer> servers = new ArrayList<>();

    @BeforeEach
    void makeDevice() {
        Devices.actAs(Devices.MASTER);
        dev = Devices.create("upstream", 4 * Devices.GIB);
    }

    @AfterEach
    void cleanup() {
        servers.forEach(FuseServer::close);
        Devices.delete(dev);
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    private void mkfs() {
        Run.famfs("mkfs", dev.toString()).ok();
    }

    private Run onDev(String command, String... rest) {
        return Run.onDevice(dev, command, rest);
    }

    private Path mount() throws IOException {
        Path mp = Files.createDirectories(tmp.resolve("mnt"));
        servers.add(FuseServer.start(dev, mp, MountOptions.defaults(), MASTER));
        return mp;
    }

    /** What {@code grep KEY | awk '{print $2}'} gives a script. */
    private static String field(String out, String key, int field) {
        return out.lines().filter(l -> l.contains(key)).findFirst()
                .map(l -> l.trim().split("\\s+")[field - 1]).orElseThrow(() -> new AssertionError("no " + key + " in\n" + out));
    }

    // ---- help ----

    @Test
    void questionMarkIsHelpOnEveryCommandAndAtTheTop() {
        Run top = Run.famfs("-?").ok();
        assertTrue(top.out().contains("Usage: famfs"), top.out());
        assertTrue(top.out().contains("mkmeta"), "the command list names mkmeta:\n" + top.out());
        for (String cmd : List.of("mkfs", "fsck", "logplay", "mkdir", "creat", "cp", "verify", "getmap", "clone",
                "chkread", "flush", "mount", "umount", "check", "mkmeta")) {
            Run r = Run.famfs(cmd, "-?").ok();
            assertTrue(r.out().contains("Usage: famfs " + cmd), cmd + ":\n" + r.out());
            assertEquals("", r.err(), cmd);
        }
    }

    @Test
    void theCommandLineIsBuiltWithoutPicocliWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf, true));
        try {
            Run.famfs("-?").ok();
            for (String cmd : List.of("mkfs", "fsck", "logplay", "mkdir", "creat", "cp", "verify", "getmap", "clone",
                    "chkread", "flush", "mount", "umount", "check", "mkmeta", "bench")) {
                Run.famfs(cmd, "-?").ok();
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", buf.toString(), "stderr while building and running the command line");
    }

    @Test
    void fsckDashHIsHumanNotHelp() {
        mkfs();
        Run r = Run.famfs("fsck", "-h", dev.toString()).ok();
        assertTrue(r.out().contains("Famfs Superblock:"), r.out());
        assertEquals("4.00G", field(r.out(), "Device capacity:", 3));
        assertTrue(r.out().contains("  Allocated space:        0.01G"), r.out());
        Run r2 = Run.famfs("fsck", "--human", dev.toString()).ok();
        assertEquals("4.00G", field(r2.out(), "Device capacity:", 3));
        // without -h: bytes, as scripts read them ("Free space" $3)
        Run plain = Run.famfs("fsck", dev.toString()).ok();
        assertEquals(Long.toString(4 * Devices.GIB - (10L << 20)), field(plain.out(), "Free space", 3));
    }

    @Test
    void topLevelDryrunIsAccepted() {
        mkfs();
        Run.famfs("--dryrun", "fsck", dev.toString()).ok();
    }

    // ---- --fuse / --nofuse ----

    @Test
    void fuseIsAcceptedAndNofuseIsAClearError() {
        Run.famfs("mkfs", "--fuse", dev.toString()).ok();
        Run.famfs("mkfs", "--fuse", "-f", dev.toString()).ok();
        Run.famfs("fsck", "--fuse", dev.toString()).ok();
        String before = Devices.checksum(dev, 12 << 20);
        for (String flag : List.of("-F", "--nofuse")) {
            Run.famfs("mkfs", flag, "-f", dev.toString()).oneLineError("v1").expect(2);
            Run.famfs("fsck", flag, dev.toString()).oneLineError("kernel module").expect(1);
        }
        assertEquals(before, Devices.checksum(dev, 12 << 20), "a refused mkfs --nofuse changed the device");
        Path mp = tmp.resolve("never");
        for (List<String> args : List.of(List.of("-F"), List.of("--nofuse"), List.of("-f", "--nofuse"))) {
            List<String> cmd = new ArrayList<>(List.of("mount"));
            cmd.addAll(args);
            cmd.addAll(List.of(dev.toString(), mp.toString()));
            Run.famfs(cmd.toArray(String[]::new)).oneLineError("does not support").expect(1);
        }
    }

    // ---- mkfs ----

    @Test
    void mkfsForceKillSucceedsWithOrWithoutASuperblock() {
        // a blank device: scripts run "mkfs.famfs -f -k DEV" to clear it before a test
        Run blank = Run.famfs("mkfs", "--fuse", "-f", "-k", dev.toString()).ok();
        assertTrue(blank.out().contains("Famfs superblock killed"), blank.out());
        Run.famfs("fsck", dev.toString()).oneLineError("no famfs superblock");
        mkfs();
        Run.famfs("fsck", dev.toString()).ok();
        Run killed = Run.famfs("mkfs", "-k", "-f", dev.toString()).ok();
        assertTrue(killed.out().contains("Famfs superblock killed"), killed.out());
        Run.famfs("fsck", dev.toString()).oneLineError("no famfs superblock");
    }

    @Test
    void mkfsKillWithoutForceIsANormalMkfs() {
        Run made = Run.famfs("mkfs", "-k", dev.toString()).ok();
        assertTrue(made.out().contains("famfs file system created"), made.out());
        Run.famfs("fsck", dev.toString()).ok();
        // and like a normal mkfs, it refuses a valid superblock (upstream's status 2)
        Run.famfs("mkfs", "-k", dev.toString()).oneLineError("already holds a famfs").expect(2);
        Run.famfs("mkfs", dev.toString()).oneLineError("already holds a famfs").expect(2);
    }

    @Test
    void mkfsFailuresExitTwoAsUpstream() {
        Path small = Devices.create("small", 1L << 30);
        try {
            Run.famfs("mkfs", small.toString()).oneLineError("at least 4 GiB").expect(2);
        } finally {
            Devices.delete(small);
        }
        Run.famfs("mkfs", "-l", "5m", dev.toString()).oneLineError("power of two").expect(2);
    }

    @Test
    void mkfsTakesVerboseShortLongAndRepeated() {
        Run v = Run.famfs("mkfs", "-v", dev.toString()).ok();
        assertEquals(Long.toString(4 * Devices.GIB), field(v.out(), "devsize:", 2));
        Run.famfs("mkfs", "-vv", "-f", dev.toString()).ok();
        Run.famfs("mkfs", "-v", "-v", "-v", "-f", dev.toString()).ok();
        Run.famfs("mkfs", "--verbose", "-f", dev.toString()).ok();
        Run.famfs("mkfs", "--verbose", "--verbose", "-f", dev.toString()).ok();
    }

    // ---- fsck ----

    @Test
    void fsckVerbosePrintsUpstreamsVerboseBlock() {
        mkfs();
        onDev("creat", "-s", "3m", "f").ok();
        Run r = Run.famfs("fsck", "-v", dev.toString()).ok();
        String out = r.out();
        int at = out.indexOf("Verbose:\n");
        assertTrue(at > out.indexOf("Famfs log:"), "Verbose: follows the log block:\n" + out);
        // smoke scripts: fsck -v DEV | grep log_len | awk '{print $2}'
        assertEquals("8388608", field(out, "log_len", 2));
        assertEquals("2097152", field(out, "log_offset:", 2));
        long lastIndex = (8388608L - 48) / 544 - 1;
        assertEquals(Long.toString(lastIndex), field(out, "last_log_index:", 2));
        assertTrue(out.contains("      sizeof(log header) 48\n"), out);
        assertTrue(out.contains("      sizeof(log_entry)  544\n"), out);
        assertTrue(out.contains("  usable log size:   " + (48 + 544 * lastIndex) + "\n"), out);
        assertFalse(Run.famfs("fsck", dev.toString()).ok().out().contains("Verbose:"));
        // counted
        assertTrue(Run.famfs("fsck", "-vv", dev.toString()).ok().out().contains("log_len:"));
        assertTrue(Run.famfs("fsck", "-v", "-v", "-v", dev.toString()).ok().out().contains("log_len:"));
        assertTrue(Run.famfs("fsck", "--verbose", dev.toString()).ok().out().contains("log_len:"));
    }

    @Test
    void fsckReadAndMmapAreAcceptedButNotTogether() {
        mkfs();
        Run.famfs("fsck", "-m", dev.toString()).ok();
        Run.famfs("fsck", "--mmap", dev.toString()).ok();
        Run.famfs("fsck", "-r", dev.toString()).ok();
        Run.famfs("fsck", "--read", dev.toString()).ok();
        Run.famfs("fsck", "-rm", dev.toString()).oneLineError("mutually exclusive").expect(1);
        Run.famfs("fsck", "-r", "-m", dev.toString()).oneLineError("mutually exclusive").expect(1);
        Run.famfs("fsck", "--mmap", "--read", dev.toString()).oneLineError("mutually exclusive").expect(1);
    }

    @Test
    void fsckOfAMissingPathIsTwo() {
        Run.famfs("fsck", tmp.resolve("no-such-dev").toString()).oneLineError("no such device").expect(2);
    }

    @Test
    void fsckOfAMountedDeviceIs16AndOfTheMountWorks() throws Exception {
        mkfs();
        Path mp = mount();
        Run.famfs("creat", "-s", "1m", mp.resolve("f").toString()).ok();
        String before = Devices.checksum(dev, 12 << 20);
        Run.famfs("fsck", dev.toString()).oneLineError("is mounted at " + mp).expect(16);
        assertEquals(before, Devices.checksum(dev, 12 << 20));
        // through the mount: the mount point, or any path in it
        assertEquals("1", field(Run.famfs("fsck", mp.toString()).ok().out(), "files", 1));
        Run.famfs("fsck", mp.resolve("f").toString()).ok();
        Run.famfs("fsck", "-v", mp.toString()).ok();
    }

    // ---- mount ----

    @Test
    void mountReadAndMmapTogetherFailBeforeMounting() {
        mkfs();
        Path mp = tmp.resolve("mp");
        for (List<String> args : List.of(List.of("-rm"), List.of("-r", "-m"), List.of("--read", "--mmap"))) {
            List<String> cmd = new ArrayList<>(List.of("mount"));
            cmd.addAll(args);
            cmd.addAll(List.of(dev.toString(), mp.toString()));
            Run.famfs(cmd.toArray(String[]::new)).oneLineError("mutually exclusive").expect(1);
        }
    }

    // ---- verify ----

    @Test
    void verifyThreadCountIsZeroTo256AndVerboseIsCounted() {
        mkfs();
        onDev("creat", "-s", "2m", "-r", "-S", "5", "a").ok();
        onDev("creat", "-s", "2m", "-r", "-S", "6", "b").ok();
        for (String t : List.of("257", "-1", "1000")) {
            onDev("verify", "-t", t, "-m", "a,5").oneLineError("between 0 and 256").expect(1);
        }
        onDev("verify", "-t", "0", "-m", "a,5", "-m", "b,6").ok();
        onDev("verify", "-t", "256", "-m", "a,5").ok();
        onDev("verify", "-v", "-S", "5", "-f", "a").ok();
        onDev("verify", "-vv", "-S", "5", "-f", "a").ok();
        onDev("verify", "--verbose", "-v", "-m", "a,5").ok();
    }

    @Test
    void verifyMultiExitsWithTheNumberOfFailedFiles() {
        mkfs();
        onDev("creat", "-s", "2m", "-r", "-S", "5", "a").ok();
        onDev("creat", "-s", "2m", "-r", "-S", "6", "b").ok();
        Run good = onDev("verify", "-m", "a,5", "-m", "b,6").ok();
        assertTrue(good.out().contains("Verify complete for 2 files with 0 errs"), good.out());
        Run one = onDev("verify", "-m", "a,5", "-m", "b,7").expect(1);
        assertTrue(one.out().contains("Verify complete for 2 files with 1 errs"), one.out());
        onDev("verify", "-m", "a,6", "-m", "b,7").expect(2);
        // single mode stays 0/1
        onDev("verify", "-S", "9", "-f", "a").expect(1);
        // mixing -m with -S/-f: 1, in any order
        onDev("verify", "-S", "5", "-m", "a,5").oneLineError("cannot be combined").expect(1);
        onDev("verify", "-m", "a,5", "-f", "b").oneLineError("cannot be combined").expect(1);
    }

    // ---- counted -v elsewhere ----

    @Test
    void repeatedVerboseIsAcceptedWhereverVerboseExists(@TempDir Path src) throws Exception {
        mkfs();
        Files.write(src.resolve("x"), new byte[4096]);
        assertTrue(onDev("mkdir", "-vv", "d").ok().out().contains("mkdir d"));
        assertTrue(onDev("creat", "-vvv", "-s", "1m", "d/f").ok().out().contains("created d/f"));
        assertTrue(onDev("cp", "-vv", src.resolve("x").toString(), "d/x").ok().out().contains("d/x"));
        assertTrue(onDev("flush", "-v", "-v", "d/f").ok().out().contains("flushed d/f"));
        assertTrue(onDev("clone", "-vv", "d/f", "d/g").ok().out().contains("clone: d/f -> d/g"));
        onDev("clone", "-v", "d/f", "d/h").ok();
        // clone is a deliberate cross-link: fsck counts the collisions
        assertTrue(Run.famfs("fsck", dev.toString()).exit() > 0);
    }

    // ---- chkread ----

    @Test
    void chkreadSuperblockAndLogFlagsDumpAndStillCheckTheFile() {
        mkfs();
        onDev("creat", "-s", "3m", "-r", "-S", "4", "f").ok();
        Run s = onDev("chkread", "-s", "f").ok();
        assertTrue(s.out().contains("famfs superblock:\n\tmagic:       "), s.out());
        assertTrue(s.out().contains("\tlog len:     8388608\n"), s.out());
        assertTrue(s.out().contains("chkread: f: 3145728 bytes match"), "FILE is checked:\n" + s.out());
        assertTrue(s.out().contains("Read and mmap match"), s.out());
        Run l = onDev("chkread", "-l", "f").ok();
        assertTrue(l.out().contains("famfs log:\n"), l.out());
        assertTrue(l.out().contains("\tnext index: 1\n"), l.out());
        assertTrue(l.out().contains("chkread: f: 3145728 bytes match"), l.out());
        Run both = onDev("chkread", "-s", "-l", "f").ok();
        assertTrue(both.out().contains("famfs superblock:") && both.out().contains("famfs log:"), both.out());
        // the FILE is really checked: a missing one fails even with -s
        onDev("chkread", "-s", "nope").oneLineError("nope").expect(1);
        onDev("chkread", "nope").oneLineError("nope").expect(1);
    }

    // ---- flush ----

    @Test
    void flushOfMetaFilesAndErrorCounting() {
        mkfs();
        onDev("creat", "-s", "1m", "f").ok();
        assertTrue(onDev("flush", "-v", ".meta/.superblock", ".meta/.log", "f").ok().out()
                .contains("flushed .meta/.log (8388608 bytes)"));
        // as upstream, the exit is the number of files that failed; the others are flushed
        Run one = onDev("flush", "-v", "f", "missing").expect(1);
        assertTrue(one.out().contains("flushed f"), one.out());
        assertTrue(one.err().contains("do_famfs_cli_flush: 1 errors were detected"), one.err());
        onDev("flush", "missing", "f", "gone").expect(2);
        onDev("flush", "missing").oneLineError("missing").expect(1);
    }

    @Test
    void flushMetaFilesThroughAMount() throws Exception {
        mkfs();
        Path mp = mount();
        Run.famfs("flush", mp.resolve(".meta/.superblock").toString(), mp.resolve(".meta/.log").toString()).ok();
        Run.famfs("creat", "-s", "1m", mp.resolve("f").toString()).ok();
        Run.famfs("flush", "-vv", mp.resolve("f").toString()).ok();
        Run.famfs("check", "-q", mp.toString()).ok();
        Run.famfs("check", "-vv", mp.toString()).ok();
    }

    // ---- mkmeta ----

    @Test
    void mkmetaValidatesTheMountOfADevice() throws Exception {
        Run.famfs("mkmeta").oneLineError("name the famfs device").expect(1);
        Run.famfs("mkmeta", tmp.resolve("no-such-dev").toString()).oneLineError("no such device").expect(1);
        mkfs();
        // not mounted: reported, and (as upstream, which ignores mkmeta's failure) status 0
        Run notMounted = Run.famfs("mkmeta", dev.toString()).ok();
        assertTrue(notMounted.err().contains("no famfs mount on this host serves it"), notMounted.err());
        Path mp = mount();
        Run ok = Run.famfs("mkmeta", dev.toString()).ok();
        assertTrue(ok.out().contains("present at " + mp + "/.meta"), ok.out());
        assertEquals("", ok.err());
        Run verbose = Run.famfs("mkmeta", "-v", dev.toString()).ok();
        assertTrue(verbose.out().contains(mp.resolve(".meta/.superblock") + ": " + Superblock.REGION_SIZE + " bytes"),
                verbose.out());
        assertTrue(verbose.out().contains(mp.resolve(".meta/.log") + ": 8388608 bytes"), verbose.out());
        Run.famfs("mkmeta", "-vv", mp.toString()).ok();
    }

    // ---- thread counts (creat, cp as well as verify) ----

    @Test
    void threadCountsOutside0To256Fail(@TempDir Path src) throws Exception {
        mkfs();
        Files.write(src.resolve("x"), new byte[4096]);
        onDev("creat", "-t", "257", "-M", "a,1m").oneLineError("between 0 and 256").expect(1);
        onDev("cp", "-t", "257", src.resolve("x").toString(), "x").oneLineError("between 0 and 256").expect(1);
        onDev("creat", "-t", "0", "-M", "a,1m").ok();
        onDev("cp", "-t", "0", src.resolve("x").toString(), "x").ok();
    }
}
