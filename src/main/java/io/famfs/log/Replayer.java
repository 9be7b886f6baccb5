package io.famfs.log;

import io.famfs.format.LogEntry;
import io.famfs.format.LogRecord;
import io.famfs.namespace.Namespace;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies the log to a {@link Namespace}, incrementally: each pass starts where the last
 * one stopped, so a node that follows the log (or catches up after being stopped) only
 * reads new entries. The first invalid entry stops the pass and is reported; it is read
 * again next time, so an entry that was still being written is picked up once complete.
 */
public final class Replayer {
    private final Famfs fs;
    private final Namespace namespace;
    private long applied;

    public Replayer(Famfs fs) {
        this.fs = fs;
        this.namespace = new Namespace(fs.superblock().deviceSize(), fs.superblock().allocUnit());
    }

    public Namespace namespace() {
        return namespace;
    }

    /** Index of the next entry to apply. */
    public synchronized long appliedIndex() {
        return applied;
    }

    /** Applies every published entry not yet applied. */
    public synchronized ReplayReport replay() {
        return replay(new LogScan.Consumer[0]);
    }

    /**
     * Applies every published entry not yet applied, handing the same entries (read once)
     * to {@code also} as well: e.g. an {@link AllocationBitmap} kept beside the tree.
     */
    public synchronized ReplayReport replay(LogScan.Consumer... also) {
        long from = applied;
        Pass pass = new Pass();
        LogScan.Consumer[] all = new LogScan.Consumer[also.length + 1];
        all[0] = pass;
        System.arraycopy(also, 0, all, 1, also.length);
        long end = LogScan.scan(fs, from, fs.log().nextIndex(), all);
        applied = pass.stop != null ? pass.stopIndex : end;
        return new ReplayReport(from, applied, pass.files, pass.dirs, pass.existed, List.copyOf(pass.rejected), pass.stop);
    }

    /** One replay pass: applies entries to the tree and stops at the first invalid one. */
    private final class Pass implements LogScan.Consumer {
        int files;
        int dirs;
        int existed;
        final List<String> rejected = new ArrayList<>();
        String stop;
        long stopIndex;

        @Override
        public void entry(long index, LogRecord record) {
            Namespace.Outcome outcome = namespace.apply(index, record);
            switch (outcome.effect()) {
                case CREATED -> {
                    if (record instanceof LogRecord.File) {
                        files++;
                    } else {
                        dirs++;
                    }
                }
                case EXISTED -> existed++;
                case REJECTED -> rejected.add("log entry " + index + ": " + outcome.message());
                case IGNORED -> {
                }
            }
        }

        @Override
        public void malformed(long index, String problem) {
            rejected.add(problem);
        }

        @Override
        public boolean invalid(long index, String problem) {
            stop = problem + "; replay stopped there";
            stopIndex = index;
            return false;
        }
    }
}
