package io.famfs.cli;

import io.famfs.ops.Workers;
import io.famfs.FamfsException;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code famfs verify -S SEED -f FILE} or {@code -m FILE,SEED ...}: check files against
 * upstream's randomized pattern; reports the first mismatching offset of each file.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify files written with creat -r -S SEED.")
class VerifyCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE", description = "File to verify")
    String file;

    @Option(names = {"-S", "--seed"}, description = "Seed the file was written with")
    Long seed;

    @Option(names = {"-m", "--multi"}, paramLabel = "FILE,SEED", description = "Verify several files (repeatable)")
    List<String> multi = new ArrayList<>();

    @Option(names = {"-t", "--threadct"}, description = "Threads (default: cores, up to 8)")
    int threads = Workers.defaultThreads();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Say more (repeatable): the seed and thread count")
    boolean[] verbose = new boolean[0];

    @Option(names = "--stats", description = "Print counts and rates on stderr when done")
    boolean stats;

    record Job(String path, long seed) {
    }

    @Override
    public Integer call() {
        if (threads < 0 || threads > 256) {
            throw new FamfsException("thread count " + threads + " must be between 0 and 256", FamfsException.Reason.INVALID);
        }
        List<Job> jobs = jobs();
        Stats timer = new Stats();
        try (FsView view = FsView.open(target, false, jobs.stream().map(Job::path).toList())) {
            List<Namespace.File> files = jobs.stream().map(j -> view.file(j.path())).toList();
            long total = files.stream().mapToLong(Namespace.File::size).sum();
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < jobs.size(); i++) {
                idx.add(i);
            }
            List<Long> bad;
            try (Progress progress = new Progress(err(), "verify", total, true)) {
                bad = Workers.map(Math.max(1, threads), idx, i -> {
                    FileData data = view.data(files.get(i));
                    data.mapper().map(0, data.size(), (o, l, d) -> view.famfs().device().prefault(o, l, false));
                    long b = data.verify(jobs.get(i).seed());
                    progress.add(data.size());
                    return b;
                });
            }
            if (stats) {
                timer.print(err(), "verify", jobs.size(), total);
            }
            int failures = 0;
            for (int i = 0; i < jobs.size(); i++) {
                if (bad.get(i) >= 0) {
                    failures++;
                    err().printf("famfs verify: %s: mismatch at offset %d (seed %d)%n", jobs.get(i).path(), bad.get(i),
                            jobs.get(i).seed());
                } else if (!quiet) {
                    out().printf("Success: verified %d bytes in file %s%n", files.get(i).size(), jobs.get(i).path());
                }
                if (verbose.length > 0) {
                    out().printf("verify: %s seed %d%n", jobs.get(i).path(), jobs.get(i).seed());
                }
            }
            if (!multi.isEmpty()) {
                out().printf("Verify complete for %d files with %d errs%n", jobs.size(), failures);
                // as upstream, multi mode exits with the number of files that failed
                return Math.min(failures, 127);
            }
            return failures == 0 ? 0 : 1;
        }
    }

    private List<Job> jobs() {
        List<Job> jobs = new ArrayList<>();
        if (!multi.isEmpty() && (file != null || seed != null)) {
            throw new FamfsException("-m FILE,SEED cannot be combined with -f or -S (as upstream)");
        }
        if (file == null && seed != null) {
            throw new FamfsException("-S SEED needs -f FILE");
        }
        if (file != null) {
            if (seed == null || seed == 0) {
                throw new FamfsException("verify needs a non-zero seed (-S SEED)");
            }
            jobs.add(new Job(file, seed));
        }
        for (String m : multi) {
            int comma = m.lastIndexOf(',');
            try {
                long s = Long.parseLong(m.substring(comma + 1).trim());
                if (comma <= 0 || s == 0) {
                    throw new NumberFormatException();
                }
                jobs.add(new Job(m.substring(0, comma), s));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new FamfsException("--multi takes FILE,SEED with a non-zero seed, not '" + m + "'");
            }
        }
        if (jobs.isEmpty()) {
            throw new FamfsException("nothing to verify: give -f FILE -S SEED or -m FILE,SEED");
        }
        return jobs;
    }
}
