package io.famfs.shadow;

import io.famfs.FamfsException;
import io.famfs.format.LogRecord;
import io.famfs.format.Superblock;
import io.famfs.log.ReplayReport;
import io.famfs.namespace.Namespace;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes the shadow tree upstream's FUSE daemon (famfs_fused) serves from
 * (../shared/CLI.md, "Shadow tree"): {@code ROOT/.meta/.superblock} and {@code .log} as
 * YAML, a real directory per logged directory (mode, uid and gid from the log), and one
 * YAML shadow file per logged file. Existing entries are kept and counted, never
 * rewritten; with {@code test}, every shadow file (new or old) is parsed again and a
 * difference from the log counts as a YAML error.
 *
 * <p>The tree comes from a replayed {@link Namespace} (the one replay code), walked in
 * log order, so parents are always made before their children.
 */
public final class ShadowTree {
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path root;

    private ShadowTree(Path root) {
        this.root = root;
    }

    /** The shadow tree of a shadow path: PATH/root, or PATH itself when it ends in /root. */
    public static ShadowTree at(Path shadowPath) {
        Path p = shadowPath.toAbsolutePath().normalize();
        return new ShadowTree(p.getFileName() != null && p.getFileName().toString().equals("root") ? p : p.resolve("root"));
    }

    public Path root() {
        return root;
    }

    /** Counts, as upstream's famfs_log_stats. */
    public static final class Stats {
        public long entries;
        public int filesCreated;
        public int dirsCreated;
        public int filesExisted;
        public int dirsExisted;
        public int fileErrors;
        public int dirErrors;
        public int yamlChecked;
        public int yamlErrors;
        public final List<String> problems = new ArrayList<>();

        public int errors() {
            return fileErrors + dirErrors + yamlErrors;
        }

        /** Upstream's summary lines ({@code famfs_print_log_stats}). */
        public String summary(String label, boolean verbose) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%s: %d log entries; %d new files; %d new directories%n", label, entries, filesCreated,
                    dirsCreated));
            if (verbose) {
                b.append(String.format("\tCreated:  %d files, %d directories%n", filesCreated, dirsCreated));
                b.append(String.format("\tExisted: %d files, %d directories%n", filesExisted, dirsExisted));
            }
            if (fileErrors != 0 || dirErrors != 0) {
                b.append(String.format("\t%d file errors and %d dir errors%n", fileErrors, dirErrors));
            }
            if (yamlChecked != 0) {
                b.append(String.format("\tshadow yaml checked for %d files%n", yamlChecked));
                b.append(String.format("\tthere were %d yaml errors detected%n", yamlErrors));
            }
            return b.toString();
        }
    }

    /** Makes the root (0755) and its .meta YAML files, when absent. */
    public void writeMeta(long logLen, boolean client) {
        try {
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root);
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Path meta = root.resolve(".meta");
            if (!Files.isDirectory(meta)) {
                Files.createDirectories(meta);
                Files.setPosixFilePermissions(meta, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            writeIfAbsent(meta.resolve(".superblock"), ShadowYaml.emitMeta(".meta/.superblock", Superblock.REGION_SIZE,
                    0444, 0));
            writeIfAbsent(meta.resolve(".log"), ShadowYaml.emitMeta(".meta/.log", logLen, client ? 0444 : 0644,
                    Superblock.LOG_OFFSET));
        } catch (IOException e) {
            throw new FamfsException(root + ": cannot write the shadow meta files: " + e.getMessage());
        }
    }

    /**
     * Writes the nodes of {@code ns} logged at {@code fromIndex} or later (0: all), and
     * counts the refused entries of {@code report} as errors. {@code yaml} (may be null)
     * gets each new or checked file's YAML (upstream prints it with -v).
     */
    public Stats write(Namespace ns, ReplayReport report, long fromIndex, boolean dryRun, boolean test,
                       Consumer<String> yaml) {
        Stats s = new Stats();
        s.entries = report == null ? 0 : report.toIndex() - report.fromIndex();
        if (report != null) {
            for (String r : report.rejected()) {
                if (r.contains("mkdir '")) {
                    s.dirErrors++;
                } else {
                    s.fileErrors++;
                }
                s.problems.add(r);
            }
        }
        List<Object[]> nodes = new ArrayList<>();
        collect(ns.root(), "", fromIndex, nodes);
        nodes.sort(Comparator.comparingLong(n -> logIndex((Namespace.Node) n[1])));
        for (Object[] n : nodes) {
            String rel = (String) n[0];
            switch ((Namespace.Node) n[1]) {
                case Namespace.Dir d -> dir(s, rel, d, dryRun);
                case Namespace.File f -> file(s, rel, f.meta(), dryRun, test, yaml);
            }
        }
        return s;
    }

    private static long logIndex(Namespace.Node n) {
        return switch (n) {
            case Namespace.Dir d -> d.logIndex();
            case Namespace.File f -> f.logIndex();
        };
    }

    private static void collect(Namespace.Dir dir, String prefix, long from, List<Object[]> out) {
        for (Namespace.Node child : dir.children().values()) {
            String rel = prefix.isEmpty() ? child.name() : prefix + "/" + child.name();
            if (logIndex(child) >= from) {
                out.add(new Object[] {rel, child});
            }
            if (child instanceof Namespace.Dir d) {
                collect(d, rel, from, out);
            }
        }
    }

    private void dir(Stats s, String rel, Namespace.Dir d, boolean dryRun) {
        if (dryRun) {
            return; // as upstream: dry run looks at no directory
        }
        Path p = root.resolve(rel);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            s.dirsExisted++;
            return;
        }
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            s.dirErrors++;
            s.problems.add(p + ": something exists where a directory should be");
            return;
        }
        try {
            Files.createDirectory(p);
            Files.setPosixFilePermissions(p, perms(d.mode()));
            chown(p, d.uid(), d.gid());
            s.dirsCreated++;
        } catch (IOException | RuntimeException e) {
            s.dirErrors++;
            s.problems.add(p + ": cannot create the directory: " + e.getMessage());
        }
    }

    private void file(Stats s, String rel, LogRecord.File f, boolean dryRun, boolean test, Consumer<String> yaml) {
        Path p = root.resolve(rel);
        String text = ShadowYaml.emit(f);
        boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        if (exists) {
            s.filesExisted++;
        } else if (!dryRun) {
            try {
                writeIfAbsent(p, text);
                s.filesCreated++;
            } catch (IOException | RuntimeException e) {
                s.fileErrors++;
                s.problems.add(p + ": cannot write the shadow file: " + e.getMessage());
                return;
            }
        }
        if (yaml != null) {
            yaml.accept(text);
        }
        if (test && (exists || !dryRun)) {
            s.yamlChecked++;
            String problem = check(p, f);
            if (problem != null) {
                s.yamlErrors++;
                s.problems.add(p + ": " + problem);
            }
        }
    }

    /** Null when the shadow file at {@code p} parses to {@code expected}, else what differs. */
    public static String check(Path p, LogRecord.File expected) {
        try {
            LogRecord.File got = ShadowYaml.parse(Files.readAllBytes(p));
            if (!got.equals(expected)) {
                return "shadow YAML describes " + got + " but the log says " + expected;
            }
            return null;
        } catch (ShadowYaml.ParseException e) {
            return "shadow YAML does not parse: " + e.getMessage();
        } catch (IOException e) {
            return "cannot read the shadow file: " + e.getMessage();
        }
    }

    private static void writeIfAbsent(Path p, String text) throws IOException {
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.writeString(tmp, text);
        Files.setPosixFilePermissions(tmp, FILE_MODE);
        try {
            Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, p);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << i)) != 0) {
                out.add(order[i]);
            }
        }
        return out;
    }

    /** As upstream: owner and group are set only when both are non-zero. */
    private static void chown(Path p, int uid, int gid) throws IOException {
        if (uid == 0 || gid == 0) {
            return;
        }
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
}
