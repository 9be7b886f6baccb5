package io.famfs.ops;

import io.famfs.FamfsException;
import io.famfs.format.LogRecord;
import io.famfs.log.AllocConfig;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * File-system operations shared by the CLI, the mount server and the REST API: making
 * directories (with parents) and creating files with their content. Each runs inside a
 * {@link MasterSession} (role check, host lock, crash-consistent appends).
 *
 * <p>No half-done files: a new file's space is allocated, its content written and
 * flushed, and only then is its entry logged. Whatever the log holds therefore has its
 * data (or was asked to be empty); a file that could not be allocated or written is
 * named in the result and not logged, and running the same operation again completes
 * the job (an existing file of the same size is written again in place).
 */
public final class FileOps {
    private FileOps() {
    }

    /** What goes into a file once its space is allocated. */
    public sealed interface Content permits Empty, Seeded, CopyOf, SameAs {
    }

    /** Nothing is written (upstream's {@code creat} without {@code -r}). */
    public record Empty() implements Content {
    }

    /** upstream's randomized pattern for {@code seed} (non-zero). */
    public record Seeded(long seed) implements Content {
    }

    /** The bytes of a host file (of the new file's size). */
    public record CopyOf(Path source) implements Content {
    }

    /**
     * Nothing is written: an existing file is compared with a host file ({@code cp -c}).
     * A file that does not exist is not created (a compare must never make what it checks).
     */
    public record SameAs(Path source) implements Content {
    }

    /** One file to create. */
    public record NewFile(String path, long size, int mode, int uid, int gid, Content content) {
    }

    /** A file that was not created (or not written again), and why. */
    public record Failure(String path, String message, FamfsException.Reason reason) {
        /** As an exception, for callers that handle one file. */
        public FamfsException exception() {
            return new FamfsException(message, reason);
        }
    }

    /** What {@link #createFiles} did: files logged, existing files written again, failures. */
    public record Result(List<LogRecord.File> created, List<LogRecord.File> rewritten, List<Failure> failures) {
        public boolean ok() {
            return failures.isEmpty();
        }
    }

    /** Large files are split so that one big copy still keeps every thread busy. */
    static final long PIECE = 64L << 20;

    /**
     * Creates directory {@code rel} (and, with {@code parents}, its missing parents, parent
     * first; an existing directory is then no error). Returns the paths logged.
     */
    public static List<String> mkdir(MasterSession session, String rel, int mode, int uid, int gid, boolean parents) {
        if (rel.isEmpty()) {
            if (parents) {
                return List.of();
            }
            throw new FamfsException("/: the root directory already exists", FamfsException.Reason.EXISTS);
        }
        String problem = PathRules.newPathProblem(rel);
        if (problem != null) {
            throw new FamfsException("invalid path '" + rel + "': " + problem, FamfsException.Reason.INVALID);
        }
        List<String> created = new ArrayList<>();
        for (String path : parents ? prefixes(rel) : List.of(rel)) {
            Namespace.Node existing = session.namespace().lookup(path);
            if (existing instanceof Namespace.Dir && parents) {
                continue;
            }
            if (existing != null) {
                throw new FamfsException(path + ": already exists", FamfsException.Reason.EXISTS);
            }
            if (!(session.namespace().lookup(PathRules.parent(path)) instanceof Namespace.Dir)) {
                throw new FamfsException(path + ": parent directory does not exist", FamfsException.Reason.NOT_FOUND);
            }
            session.mkdir(path, mode, uid, gid);
            created.add(path);
        }
        return created;
    }

    /** "a/b/c" gives a, a/b, a/b/c. */
    public static List<String> prefixes(String rel) {
        List<String> out = new ArrayList<>();
        int i = -1;
        while ((i = rel.indexOf('/', i + 1)) > 0) {
            out.add(rel.substring(0, i));
        }
        out.add(rel);
        return out;
    }

    /**
     * Allocates, fills and logs {@code files} on {@code threads} threads. A failure of one
     * file (no space, log full, a read error of its source, an existing file of another
     * size) is listed and the others go on. {@code bytesDone} hears of written bytes and
     * {@code done} of each file once logged (or rewritten); both may be called from
     * several threads.
     */
    public static Result createFiles(Famfs fs, MasterSession session, List<NewFile> files, AllocConfig config,
                                     int threads, LongConsumer bytesDone, Consumer<LogRecord.File> done) {
        List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
        List<LogRecord.File> created = Collections.synchronizedList(new ArrayList<>());
        List<LogRecord.File> rewritten = Collections.synchronizedList(new ArrayList<>());
        List<Job> jobs = new ArrayList<>();
        for (NewFile asked : files) {
            NewFile f = asked;
            Namespace.Node existing = session.namespace().lookup(f.path());
            if (f.size() <= 0 && existing instanceof Namespace.File e) {
                f = new NewFile(f.path(), e.size(), f.mode(), f.uid(), f.gid(), f.content()); // size of the existing file
            }
            if (existing instanceof Namespace.File e) {
                if (e.size() != f.size()) {
                    failures.add(new Failure(f.path(), f.path() + ": exists with size " + e.size() + ", not " + f.size(),
                            FamfsException.Reason.EXISTS));
                } else {
                    jobs.add(new Job(f, e.meta(), false));
                }
                continue;
            }
            if (existing != null) {
                failures.add(new Failure(f.path(), f.path() + ": exists and is a directory", FamfsException.Reason.EXISTS));
                continue;
            }
            if (f.content() instanceof SameAs) {
                failures.add(new Failure(f.path(), f.path() + ": does not exist (nothing to compare with)",
                        FamfsException.Reason.NOT_FOUND));
                continue;
            }
            if (f.size() <= 0) {
                failures.add(new Failure(f.path(), f.path() + ": a positive size is required (-s SIZE) for a new file",
                        FamfsException.Reason.INVALID));
                continue;
            }
            try {
                jobs.add(new Job(f, session.allocate(f.path(), f.size(), f.mode(), f.uid(), f.gid(), config), true));
            } catch (FamfsException e) {
                failures.add(new Failure(f.path(), e.getMessage().startsWith(f.path()) ? e.getMessage()
                        : f.path() + ": " + e.getMessage(), e.reason()));
            }
        }
        List<Piece> pieces = new ArrayList<>();
        for (Job j : jobs) {
            long step = j.file.content() instanceof CopyOf || j.file.content() instanceof SameAs ? PIECE : Math.max(1, j.file.size());
            for (long off = 0; off < j.file.size(); off += step) {
                pieces.add(new Piece(j, off, Math.min(step, j.file.size() - off)));
            }
            j.remaining.set((int) ((j.file.size() + step - 1) / step));
        }
        Workers.map(threads, pieces, p -> {
            String failure = write(fs, p);
            bytesDone.accept(p.length);
            if (failure != null) {
                p.job.failure = failure;
            }
            if (p.job.remaining.decrementAndGet() == 0) {
                finish(session, p.job, failures, created, rewritten, done);
            }
            return null;
        });
        return new Result(List.copyOf(created), List.copyOf(rewritten), List.copyOf(failures));
    }

    /** A file being filled: {@code isNew} when it was allocated here and is logged once filled. */
    private static final class Job {
        final NewFile file;
        final LogRecord.File record;
        final boolean isNew;
        final AtomicInteger remaining = new AtomicInteger();
        volatile String failure;

        Job(NewFile file, LogRecord.File record, boolean isNew) {
            this.file = file;
            this.record = record;
            this.isNew = isNew;
        }
    }

    private record Piece(Job job, long offset, long length) {
    }

    private static void finish(MasterSession session, Job j, List<Failure> failures, List<LogRecord.File> created,
                               List<LogRecord.File> rewritten, Consumer<LogRecord.File> done) {
        if (j.failure != null) {
            failures.add(new Failure(j.file.path(), j.failure + (j.isNew ? " (not created)" : ""),
                    FamfsException.Reason.OTHER));
            if (j.isNew) {
                session.abandon(j.record);
            }
            return;
        }
        if (j.isNew) {
            try {
                session.publish(j.record);
            } catch (FamfsException e) {
                failures.add(new Failure(j.file.path(), j.file.path() + ": " + e.getMessage() + " (not created)", e.reason()));
                return;
            }
            created.add(j.record);
        } else {
            rewritten.add(j.record);
        }
        done.accept(j.record);
    }

    /** Writes one piece and flushes it; null on success, else why not. */
    private static String write(Famfs fs, Piece p) {
        Job j = p.job;
        if (j.failure != null) {
            return null; // another piece failed: the file will not be logged anyway
        }
        FileData data = new FileData(fs.device().memory(), j.record);
        try {
            switch (j.file.content()) {
                case Empty e -> {
                    return null;
                }
                case Seeded s -> {
                    data.mapper().map(0, data.size(), (o, l, d) -> fs.device().prefault(o, l, true));
                    data.randomize(s.seed());
                }
                case CopyOf c -> {
                    try (FileChannel in = FileChannel.open(c.source(), StandardOpenOption.READ)) {
                        if (in.size() != data.size()) {
                            return c.source() + ": changed size during the copy";
                        }
                        data.mapper().map(p.offset, p.length, (o, l, d) -> fs.device().prefault(o, l, true));
                        data.copyFrom(in, p.offset, p.length);
                        data.mapper().map(p.offset, p.length, (o, l, d) -> fs.device().flush(o, l));
                        return null;
                    }
                }
                case SameAs c -> {
                    try (FileChannel in = FileChannel.open(c.source(), StandardOpenOption.READ)) {
                        if (in.size() != data.size()) {
                            return j.file.path() + ": size " + data.size() + " differs from " + c.source() + " (" + in.size() + ")";
                        }
                        long bad = data.compareWith(in, p.offset, p.length);
                        return bad < 0 ? null : j.file.path() + ": differs from " + c.source() + " at offset " + bad;
                    }
                }
            }
            data.mapper().map(0, data.size(), (o, l, d) -> fs.device().flush(o, l));
            return null;
        } catch (IOException | UncheckedIOException e) {
            return j.file.path() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
