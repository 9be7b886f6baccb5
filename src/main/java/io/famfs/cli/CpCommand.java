package io.famfs.cli;

import io.famfs.ops.FileOps;
import io.famfs.ops.Workers;
import io.famfs.FamfsException;
import io.famfs.log.AllocConfig;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code famfs cp [-r] SRC... DEST}: copy host files into famfs (master only). Planning
 * and allocation happen in one locked session; the data is then copied on {@code -t}
 * threads straight from the source into device memory. Restartable as upstream: a
 * destination file that already exists with the source's size is overwritten in place.
 */
@Command(name = "cp", mixinStandardHelpOptions = true, description = "Copy files into famfs (master only).")
class CpCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-r", "--recursive"}, description = "Copy directories recursively")
    boolean recursive;

    @Option(names = {"-t", "--threadct"}, description = "Copy threads (default: cores, up to 8)")
    int threads = Workers.defaultThreads();

    @Option(names = {"-c", "--compare"}, description = "Compare each file with its source after copying")
    boolean compare;

    @Option(names = {"-m", "--mode"}, converter = Modes.OctalMode.class, description = "Mode of new files (default: source's)")
    Integer mode;

    @Option(names = {"-u", "--uid"}, description = "Owner uid (default: source's)")
    Integer uid;

    @Option(names = {"-g", "--gid"}, description = "Owner gid (default: source's)")
    Integer gid;

    @Option(names = {"-v", "--verbose"}, description = "Print each file copied (repeatable)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--stats", description = "Print counts and rates on stderr when done")
    boolean stats;

    @ArgGroup(exclusive = false)
    AllocOptions alloc = new AllocOptions();

    @Parameters(paramLabel = "SRC... DEST", arity = "2..*")
    List<String> args;

    /** One thing to create: a directory, or a file with its source. */
    record Item(Path source, String dest, boolean dir, long size, int mode, int uid, int gid) {
    }

    private int errors;

    @Override
    public Integer call() throws IOException {
        if (threads < 0 || threads > 256) {
            throw new FamfsException("thread count " + threads + " must be between 0 and 256", FamfsException.Reason.INVALID);
        }
        List<Path> sources = expand(args.subList(0, args.size() - 1));
        boolean destSlash = args.getLast().endsWith("/");
        String dest = target.relative(args.getLast());
        AllocConfig config = alloc.config();
        Stats timer = new Stats();
        FileOps.Result result;
        long total;
        try (Famfs fs = target.open(true);
             MasterSession session = MasterSession.begin(fs, NodeIdentity.systemUuid())) {
            List<Item> plan = plan(session.namespace(), sources, dest, destSlash);
            List<FileOps.NewFile> files = new ArrayList<>();
            for (Item item : plan) {
                if (item.dir()) {
                    mkdir(session, item);
                } else if (item.size() == 0) {
                    error(item.source() + ": empty files cannot be copied into famfs (files are pre-allocated)");
                } else {
                    files.add(new FileOps.NewFile(item.dest(), item.size(), item.mode(), item.uid(), item.gid(),
                            compare ? new FileOps.SameAs(item.source()) : new FileOps.CopyOf(item.source())));
                }
            }
            total = files.stream().mapToLong(FileOps.NewFile::size).sum();
            try (Progress progress = new Progress(err(), compare ? "compare" : "copy", total, true)) {
                result = FileOps.createFiles(fs, session, files, config, Math.max(1, threads), progress::add, f -> {
                    if (verbose.length > 0 || compare) {
                        synchronized (this) {
                            out().println(compare ? "famfs compare: 100%: " + f.path() : "-> " + f.path());
                        }
                    }
                });
            }
        }
        target.refreshMount();
        result.failures().forEach(f -> error(f.message()));
        if (stats) {
            timer.print(err(), "cp total", result.created().size() + result.rewritten().size(), total);
        }
        return errors == 0 ? 0 : 1;
    }

    private void mkdir(MasterSession session, Item item) {
        Namespace.Node existing = session.namespace().lookup(item.dest());
        if (existing instanceof Namespace.Dir) {
            return;
        }
        if (existing != null) {
            error(item.dest() + ": exists and is not a directory");
            return;
        }
        if (compare) {
            error(item.dest() + ": does not exist (nothing to compare with)");
            return;
        }
        try {
            session.mkdir(item.dest(), item.mode(), item.uid(), item.gid());
        } catch (FamfsException e) {
            error(e.getMessage());
        }
    }

    private void error(String message) {
        errors++;
        err().println("famfs cp: " + message);
        err().flush();
    }

    /** Works out every directory and file to create, cp-style. */
    private List<Item> plan(Namespace ns, List<Path> sources, String dest, boolean destSlash) throws IOException {
        Namespace.Node destNode = ns.lookup(dest);
        boolean destIsDir = destNode instanceof Namespace.Dir;
        if (destSlash && !destIsDir && (destNode != null || sources.stream().anyMatch(p -> !Files.isDirectory(p)))) {
            // as GNU cp: "DEST/" names a directory; a file is never created under that name
            throw new FamfsException(args.getLast() + ": Not a directory", FamfsException.Reason.INVALID);
        }
        if (sources.size() > 1 && !destIsDir) {
            throw new FamfsException(args.getLast() + ": copying several sources needs an existing famfs directory");
        }
        List<Item> plan = new ArrayList<>();
        for (Path src : sources) {
            String target = destIsDir ? join(dest, src.getFileName().toString()) : dest;
            if (Files.isDirectory(src)) {
                if (!recursive) {
                    error(src + ": is a directory (use -r)");
                    continue;
                }
                walk(src, target, plan);
            } else {
                plan.add(item(src, target, false));
            }
        }
        for (Item i : plan) {
            String problem = PathRules.newPathProblem(i.dest());
            if (problem != null) {
                throw new FamfsException("invalid destination '" + i.dest() + "': " + problem);
            }
        }
        return plan;
    }

    private void walk(Path dir, String target, List<Item> plan) throws IOException {
        plan.add(item(dir, target, true));
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.sorted().toList()) {
                String childTarget = join(target, child.getFileName().toString());
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    walk(child, childTarget, plan);
                } else if (Files.isRegularFile(child)) {
                    plan.add(item(child, childTarget, false));
                } else {
                    error(child + ": not a regular file, skipped");
                }
            }
        }
    }

    private Item item(Path src, String dest, boolean dir) throws IOException {
        int srcMode = (Integer) Files.getAttribute(src, "unix:mode") & 0777;
        int srcUid = (Integer) Files.getAttribute(src, "unix:uid");
        int srcGid = (Integer) Files.getAttribute(src, "unix:gid");
        return new Item(src, dest, dir, dir ? 0 : Files.size(src),
                dir ? srcMode : (mode != null ? mode : srcMode),
                uid != null ? uid : srcUid, gid != null ? gid : srcGid);
    }

    private static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** Sources as given; a pattern the shell did not expand (quoted) is globbed here. */
    private List<Path> expand(List<String> raw) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String s : raw) {
            Path p = Path.of(s);
            if (Files.exists(p)) {
                out.add(p);
                continue;
            }
            if (s.matches(".*[*?\\[].*")) {
                Path parent = p.getParent() == null ? Path.of(".") : p.getParent();
                List<Path> matched = new ArrayList<>();
                if (Files.isDirectory(parent)) {
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, p.getFileName().toString())) {
                        ds.forEach(matched::add);
                    }
                }
                if (!matched.isEmpty()) {
                    matched.sort(null);
                    out.addAll(matched);
                    continue;
                }
            }
            throw new FamfsException(s + ": no such file or directory");
        }
        return out;
    }
}
