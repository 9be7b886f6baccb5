package io.famfs.cli;

import io.famfs.ops.Workers;
import io.famfs.FamfsException;
import io.famfs.ops.FileOps;
import io.famfs.log.AllocConfig;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.log.Sizes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code famfs creat -s SIZE [-r -S SEED] FILE} or {@code --multi NAME,SIZE[,SEED] ...}:
 * allocate and log pre-allocated files (master only). All files of one call are logged in
 * one locked session; data is then written on {@code -t} threads, straight into the device.
 */
@Command(name = "creat", mixinStandardHelpOptions = true, description = "Create pre-allocated files (master only).")
class CreatCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-s", "--size"}, converter = Modes.Size.class, description = "File size (k, m, g suffixes)")
    Long size;

    @Option(names = {"-r", "--randomize"}, description = "Fill with the seeded pattern (needs a non-zero -S)")
    boolean randomize;

    @Option(names = {"-S", "--seed"}, description = "Seed of the randomized pattern (0 writes nothing)")
    long seed;

    @Option(names = {"-m", "--mode"}, converter = Modes.OctalMode.class, description = "Mode (default 0644, umask applied)")
    Integer mode;

    @Option(names = {"-u", "--uid"}, description = "Owner uid (default: caller)")
    Integer uid;

    @Option(names = {"-g", "--gid"}, description = "Owner gid (default: caller)")
    Integer gid;

    @Option(names = {"-M", "--multi"}, paramLabel = "NAME,SIZE[,SEED]", description = "Create several files (repeatable)")
    List<String> multi = new ArrayList<>();

    @Option(names = {"-t", "--threadct"}, description = "Threads writing data (default: cores, up to 8)")
    int threads = Workers.defaultThreads();

    @Option(names = {"-v", "--verbose"}, description = "Print each file created (repeatable)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--stats", description = "Print counts and rates on stderr when done")
    boolean stats;

    @ArgGroup(exclusive = false)
    AllocOptions alloc = new AllocOptions();

    @Parameters(paramLabel = "FILE", arity = "0..1")
    String file;

    /** One file to create. */
    record Spec(String path, long size, long seed) {
    }

    @Override
    public Integer call() {
        if (threads < 0 || threads > 256) {
            throw new FamfsException("thread count " + threads + " must be between 0 and 256", FamfsException.Reason.INVALID);
        }
        List<Spec> specs = specs();
        ProcessIdentity me = ProcessIdentity.current();
        int m = mode != null ? mode : 0644 & ~me.umask();
        int u = uid != null ? uid : me.uid();
        int g = gid != null ? gid : me.gid();
        AllocConfig config = alloc.config();
        List<FileOps.NewFile> files = new ArrayList<>(specs.size());
        long bytes = 0;
        for (Spec s : specs) {
            files.add(new FileOps.NewFile(s.path(), s.size(), m, u, g,
                    s.seed() != 0 ? new FileOps.Seeded(s.seed()) : new FileOps.Empty()));
            bytes += s.seed() != 0 ? s.size() : 0;
        }
        Stats timer = new Stats();
        FileOps.Result result;
        try (Famfs fs = target.open(true);
             MasterSession session = MasterSession.begin(fs, NodeIdentity.systemUuid());
             Progress progress = new Progress(err(), "creat", bytes, true)) {
            result = FileOps.createFiles(fs, session, files, config, Math.max(1, threads), progress::add, f -> {
                if (verbose.length > 0) {
                    synchronized (this) {
                        out().println("created " + f.path() + " (" + f.size() + " bytes)");
                    }
                }
            });
        }
        target.refreshMount();
        for (FileOps.Failure f : result.failures()) {
            err().println("famfs creat: " + f.message());
        }
        if (!result.failures().isEmpty() && specs.size() > 1) {
            err().println("famfs creat: " + result.failures().size() + " of " + specs.size() + " files not created");
        }
        err().flush();
        if (stats) {
            timer.print(err(), "creat", specs.size(), bytes);
        }
        return result.ok() ? 0 : 1;
    }

    private List<Spec> specs() {
        if (!multi.isEmpty()) {
            if (file != null || size != null) {
                throw new FamfsException("--multi cannot be combined with a FILE or -s");
            }
            if (randomize || seed != 0) {
                throw new FamfsException("--multi takes each file's seed as NAME,SIZE,SEED; -S and -r cannot be combined with it");
            }
            List<Spec> specs = new ArrayList<>();
            for (String m : multi) {
                String[] parts = m.split(",");
                if (parts.length < 2 || parts.length > 3) {
                    throw new FamfsException("--multi takes NAME,SIZE[,SEED], not '" + m + "'");
                }
                try {
                    long s = Sizes.parse(parts[1]);
                    long sd = parts.length == 3 ? Long.parseLong(parts[2].trim()) : 0;
                    specs.add(new Spec(target.relative(parts[0]), s, sd));
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new FamfsException("--multi '" + m + "': " + e.getMessage());
                }
            }
            return specs;
        }
        if (file == null) {
            throw new FamfsException("name a FILE to create (or use --multi)");
        }
        if (size != null && size <= 0) {
            throw new FamfsException(file + ": a positive size is required (-s SIZE)");
        }
        // no -s: only an existing file, which keeps its size (upstream's re-fill of a file)
        return List.of(new Spec(target.relative(file), size == null ? 0 : size, randomize || seed != 0 ? seed : 0));
    }
}
