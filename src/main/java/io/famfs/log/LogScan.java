package io.famfs.log;

import io.famfs.format.LogEntry;
import io.famfs.format.LogRecord;

/**
 * The one pass over log entries that replay ({@link Replayer}), the allocation bitmap
 * ({@link AllocationBitmap}), logplay and fsck share: each entry is read and checked once
 * ({@link LogReader}) and handed to every consumer, so a command that needs both the tree
 * and the bitmap (fsck, a master session, a mount's capacity figures) reads the log once.
 *
 * <p>An entry is one of three kinds: valid (seqnum and CRC intact, payload well formed),
 * malformed (intact on media, payload refused, e.g. a path with {@code ..}), or invalid
 * (seqnum or CRC wrong). At an invalid entry each consumer says whether it goes on past
 * it (the bitmap counts and skips it, as upstream; replay stops there); a consumer that
 * stopped receives nothing more, and the scan ends when every consumer has stopped.
 */
public final class LogScan {
    private LogScan() {
    }

    /** What a scan hands each entry to. */
    public interface Consumer {
        /** A valid entry. */
        void entry(long index, LogRecord record);

        /** An entry intact on media whose payload is refused; {@code problem} says why. */
        void malformed(long index, String problem);

        /** An invalid entry (seqnum or CRC); true to go on past it. */
        boolean invalid(long index, String problem);
    }

    /**
     * Scans entries [from, to) of {@code fs}, handing each to every consumer still going.
     * Returns the index after the last entry read (where the scan ended).
     */
    public static long scan(Famfs fs, long from, long to, Consumer... consumers) {
        boolean[] stopped = new boolean[consumers.length];
        int going = consumers.length;
        long i = from;
        long end = Math.min(to, fs.entryCapacity());
        for (; i < end && going > 0; i++) {
            LogEntry.Decoded d = LogReader.read(fs, i);
            boolean valid = LogReader.isValid(d, i);
            String problem = valid && d.malformed() == null ? null : LogReader.problem(d, i);
            for (int c = 0; c < consumers.length; c++) {
                if (stopped[c]) {
                    continue;
                }
                if (!valid) {
                    if (!consumers[c].invalid(i, problem)) {
                        stopped[c] = true;
                        going--;
                    }
                } else if (problem != null) {
                    consumers[c].malformed(i, problem);
                } else {
                    consumers[c].entry(i, d.record());
                }
            }
        }
        return i;
    }
}
