package io.famfs.cli;

import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Commands on mount paths handed to the warm mount server (bin/famfs, famfs-fwd,
 * {@link CommandServer}): the same stdout, stderr and exit status as the same command run
 * in its own JVM; in-process whenever the server must not or cannot run it.
 */
class ForwardIT {
    private static final String TRACE = "FAMFS_FORWARD_TRACE=1";
    private static final String RAN_THERE = "famfs-fwd: ran in the server of ";
    private static Path dev;
    private static Daemon mount;

    @BeforeAll
    static void up() throws Exception {
        dev = Devices.create("forward", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
        mount = Daemon.mount(dev, Devices.MASTER);
        Launcher.famfs(Devices.MASTER, List.of("FAMFS_NO_FORWARD=1"), "creat", "-s", "3m", "-r", "-S", "7",
                mp("seeded")).ok();
    }

    @AfterAll
    static void down() throws Exception {
        if (mount != null) {
            mount.close();
        }
        Devices.delete(dev);
    }

    private static String mp(String name) {
        return mount.mountPoint.resolve(name).toString();
    }

    private static String bin() {
        return Daemon.HOME.resolve("bin/famfs").toString();
    }

    /** bin/famfs ARGS with the trace on: where it ran, and what it printed without the trace line. */
    record Outcome(boolean forwarded, String why, Run run) {
    }

    static Outcome famfs(List<String> pre, List<String> env, String... args) {
        List<String> cmd = new ArrayList<>(pre);
        cmd.addAll(List.of("env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER, TRACE));
        cmd.addAll(env);
        cmd.add(bin());
        cmd.addAll(List.of(args));
        Run r = Launcher.run(cmd);
        boolean forwarded = false;
        String why = null;
        StringBuilder err = new StringBuilder();
        for (String line : r.err().split("\n", -1)) {
            if (line.startsWith(RAN_THERE)) {
                forwarded = true;
            } else if (line.startsWith("famfs-fwd: runs here: ")) {
                why = line.substring("famfs-fwd: runs here: ".length());
            } else {
                err.append(line).append('\n');
            }
        }
        String e = err.substring(0, err.length() - 1);
        return new Outcome(forwarded, why, new Run(r.exit(), r.out(), e));
    }

    static Outcome famfs(String... args) {
        return famfs(List.of(), List.of(), args);
    }

    static Outcome inProcess(String... args) {
        return famfs(List.of(), List.of("FAMFS_NO_FORWARD=1"), args);
    }

    private static void assertSame(Outcome there, Outcome here) {
        assertTrue(there.forwarded(), "not forwarded: " + there.why());
        assertFalse(here.forwarded());
        assertEquals(here.run().exit(), there.run().exit(), "exit");
        assertEquals(here.run().out(), there.run().out(), "stdout");
        assertEquals(here.run().err(), there.run().err(), "stderr");
    }

    @Test
    void readOnlyCommandsPrintTheSameThereAndHere() {
        String[][] lines = {
                {"verify", "-S", "7", "-f", mp("seeded")},
                {"verify", "-S", "8", "-f", mp("seeded")},          // fails: exit 1, message on stderr
                {"getmap", mp("seeded")},
                {"getmap", mp("missing")},
                {"fsck", mount.mountPoint.toString()},
                {"fsck", "-v", mount.mountPoint.toString()},
                {"logplay", "-n", mount.mountPoint.toString()},
                {"check", mount.mountPoint.toString()},
                {"chkread", mp("seeded")},
                {"creat", "--no-such-option", mp("x")},               // usage error: exit 2
                {"creat", "-s", "4k", "-s", "8k", mp("x")},
                {"verify", "-t", "999", "-S", "7", "-f", mp("seeded")},
                {"creat", "-?"},
        };
        for (String[] line : lines) {
            if (line[1].equals("-?")) {
                // no path in a mount: never forwarded
                Outcome o = famfs(line);
                assertFalse(o.forwarded());
                continue;
            }
            assertSame(famfs(line), inProcess(line));
        }
    }

    @Test
    void mutatingCommandsGiveTheSameResultThereAndHere() throws Exception {
        Outcome there = famfs("creat", "-s", "4k", "-r", "-S", "3", mp("a1"));
        Outcome here = inProcess("creat", "-s", "4k", "-r", "-S", "3", mp("b1"));
        assertTrue(there.forwarded());
        assertEquals(here.run().exit(), there.run().exit());
        assertEquals(here.run().out().replace("b1", "a1"), there.run().out());
        assertEquals(Files.size(Path.of(mp("b1"))), Files.size(Path.of(mp("a1"))));
        Launcher.famfs(Devices.MASTER, "verify", "-S", "3", "-f", mp("a1")).ok();

        // the same error both ways: an existing file of another size
        assertSame(famfs("creat", "-s", "8m", mp("a1")), inProcess("creat", "-s", "8m", mp("a1")));

        there = famfs("mkdir", "-p", mp("d1/e/f"));
        here = inProcess("mkdir", "-p", mp("d2/e/f"));
        assertTrue(there.forwarded());
        assertEquals(here.run().exit(), there.run().exit());
        assertTrue(Files.isDirectory(Path.of(mp("d1/e/f"))));

        there = famfs("cp", mp("seeded"), mp("d1/copy"));
        assertTrue(there.forwarded());
        assertEquals(0, there.run().exit(), there.run().err());
        Launcher.famfs(Devices.MASTER, "verify", "-S", "7", "-f", mp("d1/copy")).ok();

        // the server's answer is exactly the command's: multi-create with one bad spec
        there = famfs("creat", "-M", mp("m1") + ",4k", "-M", mp("m2") + ",zz");
        here = inProcess("creat", "-M", mp("n1") + ",4k", "-M", mp("n2") + ",zz");
        assertEquals(here.run().exit(), there.run().exit());
        assertEquals(here.run().err().replace("n2", "m2").replace("n1", "m1"), there.run().err());
    }

    @Test
    void aCallerWhoCouldNotRunItGetsTheCommandsOwnError() {
        List<String> nobody = List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");
        Outcome there = famfs(nobody, List.of(), "creat", "-s", "4k", mp("by-nobody"));
        Outcome here = famfs(nobody, List.of("FAMFS_NO_FORWARD=1"), "creat", "-s", "4k", mp("by-nobody"));
        assertFalse(there.forwarded());
        assertTrue(there.why().contains("root and uid"), there.why());
        assertEquals(here.run(), there.run());
        assertTrue(there.run().exit() != 0);
        assertFalse(Files.exists(Path.of(mp("by-nobody"))));
    }

    @Test
    void differentSettingsOrRelativePathsFromElsewhereRunHere() throws Exception {
        // another node identity: the server's would be wrong
        Outcome o = famfs(List.of(), List.of("FAMFS_SYSTEM_UUID=" + Devices.CLIENT), "creat", "-s", "4k", mp("as-client"));
        assertFalse(o.forwarded());
        assertTrue(o.why().contains("FAMFS_"), o.why());
        assertEquals(1, o.run().exit(), o.run().err()); // a client may not create

        // JVM options other than the server's: the caller asked for a JVM of its own
        o = famfs(List.of(), List.of("FAMFS_JAVA_OPTS=-Xmx200m"), "verify", "-S", "7", "-f", mp("seeded"));
        assertFalse(o.forwarded());
        assertTrue(o.why().contains("FAMFS_JAVA_OPTS"), o.why());
        assertEquals(0, o.run().exit(), o.run().err());

        // a relative path from a directory other than the server's
        Path elsewhere = Files.createTempDirectory("famfs-fwd-cwd");
        Path link = elsewhere.resolve("m");
        Files.createSymbolicLink(link, mount.mountPoint);
        o = famfs(List.of("sh", "-c", "cd " + elsewhere + " && exec \"$@\"", "sh"), List.of(),
                "verify", "-S", "7", "-f", "m/seeded");
        assertFalse(o.forwarded());
        assertTrue(o.why().contains("relative path"), o.why());
        assertEquals(0, o.run().exit(), o.run().err());

        // absolute paths through a symlink: forwarded, and the same answer
        o = famfs("verify", "-S", "7", "-f", link.resolve("seeded").toString());
        assertTrue(o.forwarded(), o.why());
        assertEquals(0, o.run().exit());
        Files.delete(link);
        Files.delete(elsewhere);

        // not a command on files: umount, mount, mkfs always run here
        o = famfs("mkfs", mp("seeded"));
        assertFalse(o.forwarded());
        assertTrue(o.run().exit() != 0);
    }

    @Test
    void withoutAServerTheCommandRunsHere() throws Exception {
        Path sock = Path.of(Launcher.run(List.of("getfattr", "--only-values", "-n", "user.famfs.home",
                mount.mountPoint.toString())).out()).resolve("cli.sock");
        assertTrue(Files.exists(sock), sock.toString());
        Path moved = sock.resolveSibling("cli.sock.away");
        Files.move(sock, moved);
        try {
            Outcome o = famfs("verify", "-S", "7", "-f", mp("seeded"));
            assertFalse(o.forwarded());
            assertEquals("no server answers", o.why());
            assertEquals(0, o.run().exit(), o.run().err());
            assertTrue(o.run().out().contains("Success"), o.run().out());
        } finally {
            Files.move(moved, sock);
        }
        assertTrue(famfs("verify", "-S", "7", "-f", mp("seeded")).forwarded());
    }
}
