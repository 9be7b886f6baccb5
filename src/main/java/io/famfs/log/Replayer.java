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
        long from = applied;
        long next = Math.min(fs.log().nextIndex(), fs.entryCapacity());
        int files = 0;
        int dirs = 0;
        int existed = 0;
        List<String> rejected = new ArrayList<>();
        String stop = null;
        long i = from;
        for (; i < next; i++) {
            LogEntry.Decoded d = fs.readEntry(i);
            if (!LogReader.isValid(d, i)) {
                stop = LogReader.problem(d, i) + "; replay stopped there";
                break;
            }
            if (d.malformed() != null) {
                rejected.add(LogReader.problem(d, i));
                continue;
            }
            Namespace.Outcome outcome = namespace.apply(i, d.record());
            switch (outcome.effect()) {
                case CREATED -> {
                    if (d.record() instanceof LogRecord.File) {
                        files++;
                    } else {
                        dirs++;
                    }
                }
                case EXISTED -> existed++;
                case REJECTED -> rejected.add("log entry " + i + ": " + outcome.message());
                case IGNORED -> {
                }
            }
        }
        applied = i;
        return new ReplayReport(from, i, files, dirs, existed, List.copyOf(rejected), stop);
    }
}
