package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.format.LogRecord;
import io.famfs.log.AllocConfig;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.log.Sizes;
import io.famfs.namespace.FileData;
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

    @Option(names = {"-v", "--verbose"}, description = "Print each file created")
    boolean verbose;

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
        List<Spec> specs = specs();
        ProcessIdentity me = ProcessIdentity.current();
        int m = mode != null ? mode : 0644 & ~me.umask();
        int u = uid != null ? uid : me.uid();
        int g = gid != null ? gid : me.gid();
        AllocConfig config = alloc.config();
        List<LogRecord.File> created = new ArrayList<>(specs.size());
        Stats timer = new Stats();
        try (Famfs fs = target.open(true)) {
            try (MasterSession session = MasterSession.begin(fs, NodeIdentity.systemUuid());
                 Progress progress = new Progress(err(), "creat", specs.size(), false)) {
                for (Spec s : specs) {
                    created.add(session.createFile(s.path(), s.size(), m, u, g, config));
                    progress.add(1);
                    if (verbose) {
                        out().println("created " + s.path() + " (" + s.size() + " bytes)");
                    }
                }
            }
            writeData(fs, specs, created);
        }
        target.refreshMount();
        if (stats) {
            timer.print(err(), "creat", specs.size(), specs.stream().filter(s -> s.seed() != 0).mapToLong(Spec::size).sum());
        }
        return 0;
    }

    private void writeData(Famfs fs, List<Spec> specs, List<LogRecord.File> created) {
        List<Integer> toFill = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i).seed() != 0) {
                toFill.add(i);
                bytes += specs.get(i).size();
            }
        }
        if (toFill.isEmpty()) {
            return;
        }
        try (Progress progress = new Progress(err(), "randomize", bytes, true)) {
            Workers.map(threads, toFill, i -> {
                FileData data = new FileData(fs.device().memory(), created.get(i));
                data.mapper().map(0, data.size(), (o, l, d) -> fs.device().prefault(o, l, true));
                data.randomize(specs.get(i).seed());
                data.mapper().map(0, data.size(), (off, len, d) -> fs.device().flush(off, len));
                progress.add(data.size());
                return null;
            });
        }
    }

    private List<Spec> specs() {
        if (!multi.isEmpty()) {
            if (file != null || size != null) {
                throw new FamfsException("--multi cannot be combined with a FILE or -s");
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
        if (size == null || size <= 0) {
            throw new FamfsException(file + ": a positive size is required (-s SIZE)");
        }
        return List.of(new Spec(target.relative(file), size, randomize || seed != 0 ? seed : 0));
    }
}
