package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.format.LogRecord;
import io.famfs.log.AllocConfig;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    @Option(names = {"-v", "--verbose"}, description = "Print each file copied")
    boolean verbose;

    @Option(names = "--stats", description = "Print counts and rates on stderr when done")
    boolean stats;

    @ArgGroup(exclusive = false)
    AllocOptions alloc = new AllocOptions();

    @Parameters(paramLabel = "SRC... DEST", arity = "2..*")
    List<String> args;

    /** One thing to create: a directory, or a file with its source. */
    record Item(Path source, String dest, boolean dir, long size, int mode, int uid, int gid) {
    }

    /** A file whose data must be copied, once its entry exists. */
    record Copy(Path source, LogRecord.File meta) {
    }

    private int errors;

    @Override
    public Integer call() throws IOException {
        List<Path> sources = expand(args.subList(0, args.size() - 1));
        String dest = target.relative(args.getLast());
        AllocConfig config = alloc.config();
        List<Copy> copies = new ArrayList<>();
        Stats timer = new Stats();
        Stats copyTimer = null;
        try (Famfs fs = target.open(true)) {
            try (MasterSession session = MasterSession.begin(fs, NodeIdentity.systemUuid())) {
                List<Item> plan = plan(session.namespace(), sources, dest);
                try (Progress progress = new Progress(err(), "allocate", plan.size(), false)) {
                    for (Item item : plan) {
                        create(session, item, config, copies);
                        progress.add(1);
                    }
                }
            }
            if (stats) {
                timer.print(err(), "cp allocate+log", copies.size(), 0);
                copyTimer = new Stats();
            }
            copyData(fs, copies);
        }
        target.refreshMount();
        if (stats) {
            copyTimer.print(err(), "cp data", copies.size(), copies.stream().mapToLong(c -> c.meta().size()).sum());
            timer.print(err(), "cp total", copies.size(), copies.stream().mapToLong(c -> c.meta().size()).sum());
        }
        return errors == 0 ? 0 : 1;
    }

    private void create(MasterSession session, Item item, AllocConfig config, List<Copy> copies) {
        Namespace.Node existing = session.namespace().lookup(item.dest());
        if (item.dir()) {
            if (existing instanceof Namespace.Dir) {
                return;
            }
            if (existing != null) {
                error(item.dest() + ": exists and is not a directory");
                return;
            }
            session.mkdir(item.dest(), item.mode(), item.uid(), item.gid());
            return;
        }
        if (item.size() == 0) {
            error(item.source() + ": empty files cannot be copied into famfs (files are pre-allocated)");
            return;
        }
        if (existing instanceof Namespace.File f) {
            if (f.size() != item.size()) {
                error(item.dest() + ": exists with size " + f.size() + ", source has " + item.size());
                return;
            }
            copies.add(new Copy(item.source(), f.meta())); // restart: overwrite in place
            return;
        }
        if (existing != null) {
            error(item.dest() + ": exists and is a directory");
            return;
        }
        copies.add(new Copy(item.source(), session.createFile(item.dest(), item.size(), item.mode(), item.uid(),
                item.gid(), config)));
    }

    /** Large files are split so that one big file still keeps every copy thread busy. */
    static final long PIECE = 64L << 20;

    /** Bytes [offset, offset + length) of one copy. */
    record Piece(Copy copy, long offset, long length) {
    }

    private void copyData(Famfs fs, List<Copy> copies) {
        List<Piece> pieces = new ArrayList<>();
        for (Copy c : copies) {
            for (long off = 0; off < c.meta().size(); off += PIECE) {
                pieces.add(new Piece(c, off, Math.min(PIECE, c.meta().size() - off)));
            }
        }
        long total = copies.stream().mapToLong(c -> c.meta().size()).sum();
        try (Progress progress = new Progress(err(), "copy", total, true)) {
            List<String> failures = Workers.map(threads, pieces, p -> {
                String failure = copyPiece(fs, p);
                progress.add(p.length());
                if (failure == null && verbose && p.offset() + p.length() == p.copy().meta().size()) {
                    synchronized (this) {
                        out().println(p.copy().source() + " -> " + p.copy().meta().path());
                    }
                }
                return failure;
            });
            failures.stream().filter(f -> f != null).distinct().forEach(this::error);
        }
    }

    private String copyPiece(Famfs fs, Piece p) {
        Copy c = p.copy();
        FileData data = new FileData(fs.device().memory(), c.meta());
        try (FileChannel in = FileChannel.open(c.source(), StandardOpenOption.READ)) {
            if (in.size() != data.size()) {
                return c.source() + ": changed size during the copy";
            }
            data.mapper().map(p.offset(), p.length(), (off, len, d) -> fs.device().prefault(off, len, true));
            data.copyFrom(in, p.offset(), p.length());
            data.mapper().map(p.offset(), p.length(), (off, len, d) -> fs.device().flush(off, len));
            if (compare) {
                long bad = data.compareWith(in, p.offset(), p.length());
                if (bad >= 0) {
                    return c.meta().path() + ": differs from " + c.source() + " at offset " + bad;
                }
            }
            return null;
        } catch (IOException | UncheckedIOException e) {
            return c.source() + ": " + e.getMessage();
        }
    }

    private void error(String message) {
        errors++;
        err().println("famfs cp: " + message);
        err().flush();
    }

    /** Works out every directory and file to create, cp-style. */
    private List<Item> plan(Namespace ns, List<Path> sources, String dest) throws IOException {
        Namespace.Node destNode = ns.lookup(dest);
        boolean destIsDir = destNode instanceof Namespace.Dir;
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
            String problem = PathRules.problem(i.dest());
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
