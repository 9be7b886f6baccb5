package io.famfs.torture;

import io.famfs.log.Famfs;
import io.famfs.log.Replayer;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash consistency on the master: concurrent bulk creat, single creat, mkdir -p and
 * cp -r, each killed with SIGKILL at a random moment. After every round fsck is clean,
 * every logged file has its data (no half-done files), every command that had exited 0
 * has all of its work present, and re-running the same commands completes the job.
 * Rounds: {@code -Dfamfs.torture.rounds=N} (CI runs a few; the long run is in
 * docs/reliability.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashIT {
    private static final int ROUNDS = Integer.getInteger("famfs.torture.rounds", 5);
    private static final long SEED = Long.getLong("famfs.torture.seed", System.nanoTime());
    private Path dev;
    private Path sources;

    @BeforeAll
    void setUp() throws IOException {
        dev = Devices.create("crash", 16 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
        sources = Files.createTempDirectory("famfs-crash-src");
        Random rnd = new Random(SEED);
        for (int i = 0; i < 12; i++) {
            Path d = sources.resolve("d" + (i % 3));
            Files.createDirectories(d);
            byte[] b = new byte[1 + rnd.nextInt(3 << 20)];
            rnd.nextBytes(b);
            Files.write(d.resolve("f" + i), b);
        }
    }

    @AfterAll
    void tearDown() throws IOException {
        Devices.delete(dev);
        try (var w = Files.walk(sources)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String[] famfs(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + Devices.MASTER,
                Daemon.HOME.resolve("bin/famfs").toString()));
        cmd.addAll(List.of(args));
        return cmd.toArray(String[]::new);
    }

    /** The commands of one round: what each creates, so their results can be checked. */
    private List<String[]> commands(int round, Map<String, Long> seeds) {
        String r = "r" + round;
        List<String> bulk = new ArrayList<>(List.of("creat", "--device", dev.toString()));
        Random rnd = new Random(SEED + round);
        for (int i = 0; i < 30; i++) {
            String name = r + "/bulk/f" + i;
            long seed = 1 + rnd.nextInt(1 << 30);
            seeds.put(name, seed);
            bulk.addAll(List.of("-M", name + "," + (1 + rnd.nextInt(6)) + "m," + seed));
        }
        seeds.put(r + "/single", 77L + round);
        return List.of(
                famfs(bulk.toArray(String[]::new)),
                famfs("creat", "--device", dev.toString(), "-s", "5m", "-r", "-S", Long.toString(77L + round), r + "/single"),
                famfs("mkdir", "--device", dev.toString(), "-p", r + "/deep/a/b/c/d/e/f/g/h"),
                famfs("cp", "--device", dev.toString(), "-r", sources.toString(), r + "/cp"));
    }

    @Test
    void killedCommandsLeaveOnlyCompleteWorkAndReRunsFinishIt() throws Exception {
        Random rnd = new Random(SEED);
        int killed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            String r = "r" + round;
            Launcher.famfs(Devices.MASTER, "mkdir", "--device", dev.toString(), r, r + "/bulk", r + "/cp").ok();
            Map<String, Long> seeds = new TreeMap<>();
            List<String[]> cmds = commands(round, seeds);
            List<Process> running = new ArrayList<>();
            for (String[] c : cmds) {
                running.add(new ProcessBuilder(c).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            Thread.sleep(100 + rnd.nextInt(1500));
            List<Boolean> acknowledged = new ArrayList<>();
            for (Process p : running) {
                boolean done = !p.isAlive();
                if (!done) {
                    p.destroyForcibly();
                    killed++;
                }
                p.waitFor(30, TimeUnit.SECONDS);
                acknowledged.add(done && p.exitValue() == 0);
            }
            check(r, seeds, acknowledged, "after the kill in round " + round + " (seed " + SEED + ")");
            // re-running the same commands completes the job
            for (String[] c : cmds) {
                io.famfs.testing.Run res = Launcher.run(List.of(c));
                res.ok();
            }
            check(r, seeds, List.of(true, true, true, true), "after the re-run in round " + round + " (seed " + SEED + ")");
        }
        System.out.printf("crash torture: %d rounds, %d commands killed, seed %d%n", ROUNDS, killed, SEED);
    }

    /** fsck is clean, every logged file has its bytes, acknowledged commands' work is all there. */
    private void check(String r, Map<String, Long> seeds, List<Boolean> acknowledged, String when) throws IOException {
        Launcher.famfs(Devices.MASTER, "fsck", dev.toString()).ok();
        try (Famfs fs = Famfs.open(dev, false)) {
            Replayer rep = new Replayer(fs);
            assertEquals(null, rep.replay().stopReason(), when);
            Namespace ns = rep.namespace();
            MemorySegment mem = fs.device().memory();
            for (var e : seeds.entrySet()) {
                Namespace.Node n = ns.lookup(e.getKey());
                boolean mustExist = e.getKey().endsWith("/single") ? acknowledged.get(1) : acknowledged.get(0);
                if (n == null) {
                    assertTrue(!mustExist, e.getKey() + " missing although its command exited 0, " + when);
                    continue;
                }
                Namespace.File f = assertInstanceOf(Namespace.File.class, n, e.getKey());
                long bad = new FileData(mem, f.meta()).verify(e.getValue());
                assertEquals(-1, bad, e.getKey() + " is logged but its data is not written (" + when + ")");
            }
            if (acknowledged.get(2)) {
                assertInstanceOf(Namespace.Dir.class, ns.lookup(r + "/deep/a/b/c/d/e/f/g/h"), when);
            }
            try (var w = Files.walk(sources)) {
                for (Path src : w.filter(Files::isRegularFile).toList()) {
                    String dest = r + "/cp/" + sources.getFileName() + "/" + sources.relativize(src);
                    Namespace.Node n = ns.lookup(dest);
                    if (n == null) {
                        assertTrue(!acknowledged.get(3), dest + " missing although cp exited 0, " + when);
                        continue;
                    }
                    FileData data = new FileData(mem, ((Namespace.File) n).meta());
                    try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
                        assertEquals(-1, data.compareWith(in), dest + " is logged but differs from its source (" + when + ")");
                    }
                }
            }
        }
    }
}
