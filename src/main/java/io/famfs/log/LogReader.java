package io.famfs.log;

import io.famfs.format.LogEntry;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * Reads log entries as upstream's famfs_validate_log_entry does: an entry is valid when
 * its seqnum equals its index and its CRC matches. A mismatch is retried once after a
 * full fence, in case another host's store was still landing; a second mismatch is real.
 */
public final class LogReader {
    private LogReader() {
    }

    public static LogEntry.Decoded read(Famfs fs, long index) {
        MemorySegment slot = fs.log().slot(index);
        LogEntry.Decoded d = LogEntry.decode(slot);
        if (!isValid(d, index)) {
            VarHandle.fullFence();
            d = LogEntry.decode(slot);
        }
        return d;
    }

    /** Seqnum and CRC intact (what upstream checks); a malformed payload is judged elsewhere. */
    public static boolean isValid(LogEntry.Decoded d, long index) {
        return d.seqnum() == index && d.crcOk();
    }

    /** One line saying why entry {@code index} is invalid. */
    public static String problem(LogEntry.Decoded d, long index) {
        if (d.seqnum() != index) {
            return "log entry " + index + ": seqnum " + d.seqnum() + " does not match its index";
        }
        if (!d.crcOk()) {
            return String.format("log entry %d: CRC mismatch (stored 0x%x, computed 0x%x)", index, d.storedCrc(), d.computedCrc());
        }
        if (d.malformed() != null) {
            return "log entry " + index + ": " + d.malformed();
        }
        return null;
    }
}
