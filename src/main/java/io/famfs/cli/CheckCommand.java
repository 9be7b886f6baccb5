package io.famfs.cli;

import io.famfs.format.LogHeader;
import io.famfs.format.Superblock;
import io.famfs.log.Famfs;
import io.famfs.log.Replayer;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code famfs check MOUNTPOINT}: the mount's health. Every file the log defines must be
 * in the mount with its logged size, and every file in the mount must be in the log;
 * {@code .meta/.superblock} and {@code .meta/.log}, read through the mount, must hold a
 * valid superblock and log header. Exit status is upstream's bit mask: 1 unmapped
 * file(s), 2 superblock file missing or corrupt, 4 log file missing or corrupt.
 */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Check a famfs mount's health.")
class CheckCommand extends Subcommand {
    @Option(names = {"-v", "--verbose"}, description = "List every problem (repeatable)")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-q", "--quiet"}, description = "Accepted for compatibility (ignored, as upstream)")
    boolean quiet;

    @Parameters(paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Override
    public Integer call() throws IOException {
        DeviceOption target = new DeviceOption();
        target.relative(mountPoint.toString());
        Path mp = target.mountPoint();
        target.refreshMount();
        int status = 0;
        List<String> problems = new ArrayList<>();
        if (!superblockFileOk(mp.resolve(".meta/.superblock"), problems)) {
            status |= 2;
        }
        try (Famfs fs = target.open(false)) {
            if (!logFileOk(mp.resolve(".meta/.log"), fs.superblock().logLen(), problems)) {
                status |= 4;
            }
            Replayer replayer = new Replayer(fs);
            replayer.replay();
            long checked = checkFiles(mp, replayer.namespace(), problems);
            if (problems.stream().anyMatch(p -> p.startsWith("unmapped"))) {
                status |= 1;
            }
            for (String p : problems) {
                err().println("famfs check: " + p);
            }
            out().printf("famfs check: %s: %d files checked, %s%n", mp, checked,
                    status == 0 ? "all mapped, meta files intact" : "problems found (status " + status + ")");
        }
        return status;
    }

    private static boolean superblockFileOk(Path file, List<String> problems) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != Superblock.REGION_SIZE) {
                problems.add(file + " has size " + ch.size() + ", expected " + Superblock.REGION_SIZE);
                return false;
            }
            ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE);
            ch.read(b, 0);
            Superblock sb = new Superblock(MemorySegment.ofArray(b.array()));
            Superblock.Status s = sb.check();
            if (!s.isValid()) {
                problems.add(file + ": " + sb.describe(s));
                return false;
            }
            return true;
        } catch (IOException e) {
            problems.add(file + ": " + e.getMessage());
            return false;
        }
    }

    private static boolean logFileOk(Path file, long logLen, List<String> problems) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != logLen) {
                problems.add(file + " has size " + ch.size() + ", expected " + logLen);
                return false;
            }
            ByteBuffer b = ByteBuffer.allocate(LogHeader.SIZE);
            ch.read(b, 0);
            String problem = new LogHeader(MemorySegment.ofArray(b.array())).problem(logLen);
            if (problem != null) {
                problems.add(file + ": " + problem);
                return false;
            }
            return true;
        } catch (IOException e) {
            problems.add(file + ": " + e.getMessage());
            return false;
        }
    }

    /** Walks the mount and the namespace against each other; returns files checked. */
    private static long checkFiles(Path mp, Namespace ns, List<String> problems) throws IOException {
        long[] count = {0};
        try (Stream<Path> walk = Files.walk(mp)) {
            walk.filter(p -> !p.startsWith(mp.resolve(".meta")) && Files.isRegularFile(p)).forEach(p -> {
                count[0]++;
                String rel = mp.relativize(p).toString();
                if (!(ns.lookup(rel) instanceof Namespace.File f)) {
                    problems.add("unmapped file " + p + ": not in the log");
                    return;
                }
                try {
                    if (Files.size(p) != f.size()) {
                        problems.add("unmapped file " + p + ": size " + Files.size(p) + ", logged " + f.size());
                    }
                } catch (IOException e) {
                    problems.add("unmapped file " + p + ": " + e.getMessage());
                }
            });
        }
        walkNamespace(ns.root(), "", mp, problems);
        return count[0];
    }

    private static void walkNamespace(Namespace.Dir dir, String prefix, Path mp, List<String> problems) {
        for (var e : dir.children().entrySet()) {
            String rel = prefix.isEmpty() ? e.getKey() : prefix + "/" + e.getKey();
            if (e.getValue() instanceof Namespace.Dir d) {
                walkNamespace(d, rel, mp, problems);
            } else if (!Files.isRegularFile(mp.resolve(rel))) {
                problems.add("unmapped file " + mp.resolve(rel) + ": in the log but not in the mount");
            }
        }
    }

}
